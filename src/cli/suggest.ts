/** Levenshtein distance between two short strings (flags, commands): a typo's distance to the real one. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate the user most likely meant: one that starts with what was typed, else the closest within a
 * third of its length (at least 2 edits); undefined when nothing is close.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const prefixed = typed.replace(/^-+/, '').length >= 3 && candidates.find((c) => c.startsWith(typed));
  if (prefixed) return prefixed;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (best && best.distance <= Math.max(2, Math.floor(best.candidate.length / 3))) return best.candidate;
  return undefined;
}

/** " Did you mean --collections?" or ''. */
export function didYouMean(typed: string, candidates: readonly string[]): string {
  const match = closest(typed, candidates);
  return match ? ` Did you mean ${match}?` : '';
}
