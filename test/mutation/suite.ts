// The tests mutation testing runs against each mutant (stryker.config.json), in one process:
// those of the pure logic it mutates. Not a *.test.ts, so the ordinary run does not load it twice.
import '../../src/steps/exec-grammar.test.js';
import '../../src/safe-text.test.js';
import '../../src/lab-name.test.js';
import '../unit/judge.test.js';
