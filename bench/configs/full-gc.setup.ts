import v8 from 'node:v8'
import vm from 'node:vm'
import { afterEach } from 'vitest'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void
afterEach(() => {
  gc()
})
