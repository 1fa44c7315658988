import { LeakproofConfigError } from './errors.js'

/**
 * A list option of rule objects (`budgets`, `ignore`): undefined is none; otherwise an array of
 * objects holding only `keys`. Each rule comes with its name in errors (`budgets[2]`), for the
 * option's own checks of what is in it.
 */
export function ruleObjects(
  value: unknown,
  option: string,
  shape: string,
  keys: readonly string[],
): Array<{ name: string; rule: Record<string, unknown> }> {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new LeakproofConfigError(option, value, `an array of ${shape}`)
  return value.map((rule: unknown, i) => {
    const name = `${option}[${i}]`
    if (rule === null || typeof rule !== 'object') throw new LeakproofConfigError(name, rule, `an object ${shape}`)
    const r = rule as Record<string, unknown>
    for (const key of Object.keys(r))
      if (!keys.includes(key)) throw new LeakproofConfigError(`${name}.${key}`, r[key], `one of ${keys.join(', ')}`)
    return { name, rule: r }
  })
}
