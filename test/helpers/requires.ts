// Tests that need a part of the system npm does not install (Debian's Chromium, redis-server, the
// built studio) skip where it is missing, loudly, so `npm test` works on a fresh machine; CI sets
// UNCLIP_REQUIRE_ALL=1 (.ci/run), which makes a missing part a failure, so CI still proves
// everything.
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ROOT } from './server.js';

export const REQUIRE_ALL = process.env.UNCLIP_REQUIRE_ALL === '1';

/**
 * node:test's `skip` option for the tests of one file (pass its `import.meta.url`) that need what
 * `missing` says is absent (null: nothing is). A missing part skips them with that reason, said
 * on stderr now and again after the run by test/run-all.mjs. With UNCLIP_REQUIRE_ALL=1 it is a
 * failure instead: a test named for the file's needs fails with the reason, the rest are skipped.
 */
export function skipIfMissing(missing: string | null, fileUrl: string): string | false {
  if (missing === null) return false;
  const file = relative(ROOT, fileURLToPath(fileUrl));
  if (REQUIRE_ALL) {
    test(`${file} has the system parts it needs`, () => {
      throw new Error(`${missing} (UNCLIP_REQUIRE_ALL=1: a missing part fails the run instead of skipping it)`);
    });
  } else {
    console.warn(`\n⚠ SKIPPED ${file}: ${missing} (UNCLIP_REQUIRE_ALL=1 makes this a failure; .ci/run sets it)\n`);
    if (process.env.UNCLIP_SKIP_LOG) appendFileSync(process.env.UNCLIP_SKIP_LOG, `${file}: ${missing}\n`);
  }
  return missing;
}
