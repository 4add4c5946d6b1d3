/** Zip members staged in (extracted) and out (stored into the archive) on both executors. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { bashApp, File, NoOpFileStaging, StagingError, ZipFileStaging } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { EXECUTOR_KINDS, partialFiles, withStaging } from './staging-helpers.js';

const copy = bashApp((input: File, kw: { outputs: File[] }) => `cat ${input} > ${kw.outputs[0]}`);

for (const kind of EXECUTOR_KINDS) {
  describe(`zip staging on ${kind}`, { timeout: 120_000 }, () => {
    test('a member is extracted before the app and outputs are stored into an archive (many writers, one archive)', async () => {
      const dir = tempDir('parsl-ts-zip-');
      const source = new AdmZip();
      source.addFile('inside/in.txt', Buffer.from('zipped\n'));
      source.writeZip(join(dir, 'in.zip'));
      await withStaging(kind, [new NoOpFileStaging(), new ZipFileStaging()], async ({ workDir }) => {
        const futures = Array.from({ length: 6 }, (_, i) => copy(new File(`zip:${dir}/in.zip/inside/in.txt`), { outputs: [new File(`zip:${dir}/out.zip/results/r${i}.txt`)] }));
        assert.deepEqual(await Promise.all(futures), futures.map(() => 0));
        assert.equal(readFileSync(join(workDir, 'inside', 'in.txt'), 'utf8'), 'zipped\n');
        const out = new AdmZip(join(dir, 'out.zip'));
        assert.deepEqual(out.getEntries().map((entry) => entry.entryName).sort(), futures.map((_, i) => `results/r${i}.txt`).sort());
        for (const entry of out.getEntries()) assert.equal(entry.getData().toString(), 'zipped\n');
        await assert.rejects(copy(new File(`zip:${dir}/in.zip/inside/missing.txt`), { outputs: [new File(join(workDir, 'never.txt'))] }), (error: Error) => {
          const staging = error instanceof StagingError ? error : error.cause;
          assert.ok(staging instanceof StagingError, String(error));
          assert.match(error.message, /in\.zip\/inside\/missing\.txt.*no member/);
          return true;
        });
        assert.equal(existsSync(join(workDir, 'never.txt')), false);
        assert.deepEqual(partialFiles(dir), []);
      });
    });
  });
}
