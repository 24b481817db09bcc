import type { Attempt, CheckResult } from './api.js';

const SYMBOL: Record<CheckResult['status'], string> = { passed: '✔', failed: '✘', skipped: '–' };

/** One attempt's full result: each check with PASS/FAIL, points, message and evidence; the total; the pcaps. */
export function AttemptView(props: {
  attempt: Attempt;
  labels: { pass: string; fail: string; skipped: string; total: string; evidence: string; pcap: string; error: string };
}) {
  const { attempt: a, labels } = props;
  const r = a.result;
  // A check the tool could not run to a result has only a message (an `error`, never the student's fault).
  const checks = r !== null && 'checks' in r ? r.checks : [];
  const pcaps = a.artifacts.filter((f) => f.name.endsWith('.pcap'));
  const others = a.artifacts.filter((f) => !f.name.endsWith('.pcap'));
  return (
    <div class="attempt" data-testid="attempt-result">
      <p class="total" data-testid="total">
        <strong>
          {labels.total}: {a.score ?? 0}/{a.maxScore ?? '?'}
        </strong>{' '}
        <span class={`badge ${a.status === 'passed' ? 'pass' : a.status === 'failed' ? 'fail' : 'warn'}`}>
          {a.status === 'passed' ? labels.pass : a.status === 'failed' ? labels.fail : a.status === 'error' ? labels.error : a.status}
        </span>
      </p>
      {r?.message !== undefined && <pre class="result-message">{r.message}</pre>}
      <ol class="checks">
        {checks.map((c) => (
          <li key={c.id} class={`check ${c.status}`} data-check={c.id} data-status={c.status}>
            <div class="check-head">
              <span class={`badge ${c.status === 'passed' ? 'pass' : c.status === 'failed' ? 'fail' : 'none'}`}>
                <span aria-hidden="true">{SYMBOL[c.status]}</span>{' '}
                {c.status === 'passed' ? labels.pass : c.status === 'failed' ? labels.fail : labels.skipped}
              </span>
              <code>{c.id}</code>
              <span class="points">
                {c.points}/{c.maxPoints}
              </span>
            </div>
            <div class="check-title">{c.title}</div>
            <div class="check-message">{c.message}</div>
            {c.evidence.length > 0 && (
              <details>
                <summary>
                  {labels.evidence} ({c.evidence.length})
                </summary>
                <pre>{c.evidence.join('\n')}</pre>
              </details>
            )}
          </li>
        ))}
      </ol>
      {(pcaps.length > 0 || others.length > 0) && (
        <ul class="artifacts">
          {pcaps.map((f) => (
            <li key={f.name}>
              <a href={f.url} download={f.name} data-testid="pcap-link">
                {labels.pcap}: {f.name}
              </a>{' '}
              <span class="muted">({Math.ceil(f.size / 1024)} KiB)</span>
            </li>
          ))}
          {others.map((f) => (
            <li key={f.name}>
              <a href={f.url} download={f.name}>
                {f.name}
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
