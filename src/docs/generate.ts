// npm run docs: writes the scenario reference and JSON Schema from the zod schema.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { renderReference, scenarioJsonSchema } from './reference.js';

writeFileSync(join(PACKAGE_ROOT, 'docs', 'scenario-reference.md'), renderReference());
writeFileSync(join(PACKAGE_ROOT, 'scenarios', 'scenario.schema.json'), `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
console.log('wrote docs/scenario-reference.md and scenarios/scenario.schema.json');
