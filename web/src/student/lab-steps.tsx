import type { LabStanding, Student } from '../shared/api.js';
import type { T } from './workspace.js';

/**
 * The workshop's labs in order (shown only when there are several): where the student is, which are passed,
 * which are open to them; choosing one moves the student there (their files of every lab are kept). "Next lab"
 * appears once the current lab has passed.
 */
export function LabSteps(props: { t: T; student: Student; onMove: (lab: string) => void }) {
  const { t, student } = props;
  const labs = student.labs;
  if (labs.length < 2) return null;
  const here = labs.findIndex((l) => l.current);
  const next: LabStanding | undefined = labs[here + 1];
  const busy = student.state === 'checking' || student.state === 'resetting';
  const gate = (i: number): string => labs[Math.max(0, i - 1)]?.name ?? '';
  return (
    <nav class="lab-steps" aria-label={t('labs')} data-testid="lab-steps">
      <ol>
        {labs.map((l, i) => (
          <li key={l.name}>
            <button
              type="button"
              class={`step ${l.current ? 'current' : ''} ${l.passed ? 'passed' : ''}`}
              aria-current={l.current ? 'step' : undefined}
              disabled={!l.open || busy}
              title={l.open ? undefined : t('labLocked').replace('{lab}', gate(i))}
              data-lab={l.name}
              onClick={() => {
                if (!l.current) props.onMove(l.name);
              }}
            >
              <span class="n">{i + 1}.</span> {l.name}
              {l.passed ? (
                <span class="mark">
                  {' '}
                  ✔<span class="sr-only"> {t('labPassed')}</span>
                </span>
              ) : null}
              {l.lastScore !== null ? (
                <span class="muted small">
                  {' '}
                  {l.lastScore}/{l.maxScore}
                </span>
              ) : null}
              {!l.open ? <span class="sr-only"> ({t('labLocked').replace('{lab}', gate(i))})</span> : null}
            </button>
          </li>
        ))}
      </ol>
      {next && labs[here]?.passed && next.open && (
        <button type="button" class="primary" disabled={busy} onClick={() => props.onMove(next.name)} data-testid="next-lab">
          {t('nextLab')}: {next.name} →
        </button>
      )}
    </nav>
  );
}
