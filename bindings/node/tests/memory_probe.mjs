// Test helper: full garbage collections without --expose-gc, and memory
// figures: RSS, plus on glibc the bytes malloc has handed out (mallinfo2),
// which are exact where RSS is noisy (V8 and the allocator keep freed pages).
import koffi from 'koffi';
import { setTimeout } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
/** Runs a full, synchronous garbage collection. */
export const collectGarbage = vm.runInNewContext('gc');

const glibc = (() => {
  try {
    const libc = koffi.load('libc.so.6');
    const fields = ['arena', 'ordblks', 'smblks', 'hblks', 'hblkhd'];
    fields.push('usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost');
    const mallinfo2 = koffi.struct(Object.fromEntries(fields.map((name) => [name, 'size_t'])));
    return {
      mallinfo2: libc.func('mallinfo2', mallinfo2, []),
      mallocTrim: libc.func('int malloc_trim(size_t pad)'),
    };
  } catch {
    return null; // not glibc: RSS only
  }
})();

const MB = 2 ** 20;

/**
 * {rssMb, mallocMb} after full GCs (V8 unmaps freed pages on helper threads:
 * give them a moment) and a malloc_trim; mallocMb is null off glibc.
 */
export async function memoryFigures() {
  for (let i = 0; i < 3; i += 1) {
    collectGarbage();
    await setTimeout(50);
  }
  if (!glibc) return { rssMb: process.memoryUsage().rss / MB, mallocMb: null };
  glibc.mallocTrim(0);
  const info = glibc.mallinfo2();
  return {
    rssMb: process.memoryUsage().rss / MB,
    mallocMb: (Number(info.uordblks) + Number(info.hblkhd)) / MB,
  };
}
