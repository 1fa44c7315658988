/**
 * Compiles a file glob (`**` any depth, `*` within one path segment, `?` one character, `{a,b}`
 * alternatives) to a RegExp over `/`-separated paths relative to the project root.
 */
export function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++
        if (glob[i + 1] === '/') {
          i++
          re += '(?:.*/)?'
        } else re += '.*'
      } else re += '[^/]*'
    } else if (c === '?') re += '[^/]'
    else if (c === '{') {
      const end = glob.indexOf('}', i)
      if (end < 0) re += '\\{'
      else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map(escape)
          .join('|')})`
        i = end
      }
    } else re += escape(c)
  }
  return new RegExp(`^${re}$`)
}

function escape(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&')
}
