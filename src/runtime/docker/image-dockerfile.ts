// The Dockerfile lab image builder: `docker build` of images/lab (needs a registry for debian:bookworm-slim).
import type Docker from 'dockerode';
import { errorMessage } from '../../errors.js';
import { LABEL } from '../labels.js';
import { LAB_IMAGE_FILES, LAB_IMAGE_REPO, LABEL_IMAGE_HASH, LabImageError } from '../lab-image.js';
import { followProgress, ProgressReporter, Tail } from './build-progress.js';

interface BuildMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { message?: string };
}

export async function buildFromDockerfile(
  docker: Docker,
  dir: string,
  hash: string,
  noCache: boolean,
  out: (line: string) => void,
): Promise<void> {
  const reporter = new ProgressReporter(out);
  const tail = new Tail();
  let failure: string | undefined;
  try {
    reporter.phase = 'docker build: sending the build context';
    reporter.emit(reporter.phase);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.buildImage(
        { context: dir, src: [...LAB_IMAGE_FILES] },
        {
          t: `${LAB_IMAGE_REPO}:${hash}`,
          labels: { [LABEL.managed]: 'true', [LABEL_IMAGE_HASH]: hash },
          rm: true,
          forcerm: true,
          nocache: noCache,
        },
      );
    } catch (err) {
      throw new LabImageError(`docker build could not start: ${errorMessage(err)}`);
    }
    await followProgress<BuildMessage>(docker, stream, (msg) => {
      const err = msg.error ?? msg.errorDetail?.message;
      if (err) {
        failure = err;
        return;
      }
      const text = (msg.stream ?? [msg.status, msg.progress].filter(Boolean).join(' ')).trim();
      if (!text) return;
      for (const line of text.split('\n')) {
        tail.push(line);
        if (/^Step \d+\/\d+ :/.test(line)) {
          reporter.phase = `docker build: ${line.length > 100 ? line.slice(0, 97) + '...' : line}`;
          reporter.emit(reporter.phase);
        } else {
          reporter.maybe(`docker build: ${line.length > 100 ? line.slice(0, 97) + '...' : line}`);
        }
      }
    });
  } finally {
    reporter.stop();
  }
  if (failure) {
    const hint = /pull access denied|not found|dial tcp|lookup |no such host|timeout|i\/o timeout|connection refused/i.test(failure)
      ? '\nThe Dockerfile builder needs a registry for debian:bookworm-slim; without one, use --builder offline (root, with debootstrap installed).'
      : '';
    throw new LabImageError(`docker build of the lab image failed: ${failure}\nits last lines:\n${tail.text()}${hint}`);
  }
}
