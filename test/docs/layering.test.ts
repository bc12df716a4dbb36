// The layering rule of eslint.config.js fires: core <- store <- services <- api <- cli import only
// downwards, and the client nothing of them and no package at run time; checked on sources placed in
// each layer, so that the rule cannot silently stop working.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The project's own configuration; type information is off because these sources exist only here.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }],
});

/** The layering messages ESLint reports for `source` as the file `path` (relative to the root). */
async function refusals(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath: `${root}${path}` });
  const messages = result?.messages ?? [];
  // A file that could not be parsed, or that the configuration ignores, would report nothing.
  expect(messages.filter((m) => m.fatal === true || m.ruleId === null)).toEqual([]);
  return messages
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

describe('the layering lint rule', () => {
  it.each([
    [
      'src/core/policy/x.ts',
      "import { openStore } from '../../store/open-store.js';",
      'core is the bottom layer',
    ],
    ['src/core/x.ts', "import Fastify from 'fastify';", 'core is pure'],
    ['src/store/x.ts', "import { createRamkey } from '../services/ramkey.js';", 'store imports only core'],
    ['src/services/x.ts', "import { buildApp } from '../api/app.js';", 'services import only core and store'],
    ['src/services/x.ts', "import { Kysely } from 'kysely';", 'services reach the database'],
    ['src/api/actions/x.ts', "import { Sealer } from '../../store/sealer.js';", 'api goes through services'],
    ['src/api/x.ts', "import { main } from '../cli/main.js';", 'api does not import the CLI'],
    ['src/cli/x.ts', "import { openStore } from '../store/open-store.js';", 'cli goes through services'],
    ['src/cli/x.ts', "import { findAction } from '../api/registry.js';", 'only for the app composition'],
    ['src/client/x.ts', "import { catalog } from '../core/errors/catalog.js';", 'client ships alone'],
    ['src/client/x.ts', "import Fastify from 'fastify';", 'client has no runtime dependency'],
    ['src/client/x.ts', "import { Kysely } from 'kysely';", 'client has no runtime dependency'],
  ])('refuses in %s: %s', async (path, source, message) => {
    const found = await refusals(path, source);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });

  it.each([
    ['src/store/x.ts', "import { RamkeyError } from '../core/errors/ramkey-error.js';"],
    ['src/services/x.ts', "import { openStore } from '../store/open-store.js';"],
    ['src/api/x.ts', "import type { UserRecord } from '../store/store.js';"],
    ['src/api/actions/x.ts', "import { Params } from '../params.js';"],
    ['src/cli/x.ts', "import { buildApp } from '../api/app.js';"],
    ['src/cli/x.ts', "import { createRamkey } from '../services/ramkey.js';"],
    ['src/client/x.ts', "import { createHash } from 'node:crypto';"],
    ['src/client/x.ts', "import type { FastifyRequest } from 'fastify';"],
    ['src/client/x.ts', "import { verifyBody } from './body.js';"],
  ])('allows in %s: %s', async (path, source) => {
    expect(await refusals(path, source)).toEqual([]);
  });
});
