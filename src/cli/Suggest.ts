/**
 * `did you mean ...?` for an unknown subcommand or option, chosen as clap (and so trop
 * 0.2.0) chooses it: the Jaro similarity of the typed word and each known one, over 0.7,
 * the most similar winning (the later one on a tie, as clap's stable sort and `pop` do).
 */

/** The Jaro similarity of `a` and `b` (0..1), by code point, as the `strsim` crate computes it. */
export const jaro = (a: string, b: string): number => {
  const s = Array.from(a)
  const t = Array.from(b)
  if (s.length === 0 && t.length === 0) return 1
  if (s.length === 0 || t.length === 0) return 0
  const window = Math.max(0, Math.floor(Math.max(s.length, t.length) / 2) - 1)
  const sMatched = new Array<boolean>(s.length).fill(false)
  const tMatched = new Array<boolean>(t.length).fill(false)
  let matches = 0
  for (let i = 0; i < s.length; i++) {
    const low = Math.max(0, i - window)
    const high = Math.min(t.length, i + window + 1)
    for (let j = low; j < high; j++) {
      if (!tMatched[j] && s[i] === t[j]) {
        sMatched[i] = true
        tMatched[j] = true
        matches++
        break
      }
    }
  }
  if (matches === 0) return 0
  let transpositions = 0
  let j = 0
  for (let i = 0; i < s.length; i++) {
    if (!sMatched[i]) continue
    while (!tMatched[j]) j++
    if (s[i] !== t[j]) transpositions++
    j++
  }
  const m = matches
  return (m / s.length + m / t.length + (m - Math.floor(transpositions / 2)) / m) / 3
}

/** The known word most similar to `typed` (similarity over 0.7), if any. */
export const closest = (typed: string, known: Iterable<string>): string | undefined => {
  let best: { readonly word: string; readonly score: number } | undefined
  for (const word of known) {
    const score = jaro(typed, word)
    if (score > 0.7 && (best === undefined || score >= best.score)) best = { word, score }
  }
  return best?.word
}
