import type { Colors } from './context.js'

/**
 * Bolds the section titles of the engine's plain report text (lines indented by exactly two
 * spaces); the text itself stays the engine's, so the CLI and a LeakError read the same.
 */
export function emphasizeTitles(text: string, c: Colors): string {
  return text.replace(/^ {2}(?! )(.*)$/gm, (_, title: string) => `  ${c.bold(title)}`)
}
