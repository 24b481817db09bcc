import type { ContainerSpec, NetworkSpec, Runtime } from '../runtime/runtime.js';

/**
 * The same runtime, but every container and network it creates carries `labels` as well: how a workshop
 * server finds its instances again after a restart, without changing what deploy puts on them.
 */
export function withLabels<R extends Runtime>(runtime: R, labels: Record<string, string>): R {
  return new Proxy(runtime, {
    get(target, key, receiver): unknown {
      if (key === 'createContainer')
        return (spec: ContainerSpec) => target.createContainer({ ...spec, labels: { ...spec.labels, ...labels } });
      if (key === 'createNetwork') return (spec: NetworkSpec) => target.createNetwork({ ...spec, labels: { ...spec.labels, ...labels } });
      const v: unknown = Reflect.get(target, key, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
