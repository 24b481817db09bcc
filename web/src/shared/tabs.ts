/**
 * Keyboard for a row of tabs, as the WAI-ARIA Authoring Practices' tabs pattern gives it
 * (https://www.w3.org/WAI/ARIA/apg/patterns/tabs/): Left/Right arrows move to the previous/next tab (wrapping),
 * Home/End to the first/last; the tab moved to is focused and selected at once (automatic activation: every
 * panel here shows without a wait). Tab itself leaves the row: only the selected tab has tabindex 0 (roving
 * tabindex), which each tab list sets on its buttons.
 *
 * Put it on the `role="tablist"` element: `onKeyDown={tablistKeys}`. Selecting is the tab's own click handler.
 */
export function tablistKeys(e: KeyboardEvent): void {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  const list = e.currentTarget as HTMLElement;
  const tabs = [...list.querySelectorAll<HTMLElement>('[role="tab"]')].filter(
    (t) => !t.hasAttribute('disabled') && t.getAttribute('aria-disabled') !== 'true',
  );
  const from = (e.target as HTMLElement).closest<HTMLElement>('[role="tab"]');
  const i = from ? tabs.indexOf(from) : -1;
  if (i < 0 || tabs.length === 0) return;
  const vertical = list.getAttribute('aria-orientation') === 'vertical';
  const prev = vertical ? 'ArrowUp' : 'ArrowLeft';
  const next = vertical ? 'ArrowDown' : 'ArrowRight';
  const to =
    e.key === next
      ? (i + 1) % tabs.length
      : e.key === prev
        ? (i - 1 + tabs.length) % tabs.length
        : e.key === 'Home'
          ? 0
          : e.key === 'End'
            ? tabs.length - 1
            : -1;
  if (to < 0) return;
  e.preventDefault();
  const tab = tabs[to] as HTMLElement;
  tab.focus();
  if (tab.getAttribute('aria-selected') !== 'true') tab.click();
}
