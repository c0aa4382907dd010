// The JavaScript harness of function-style problems, run as `node runner.js solution.js name`.
// The solution runs as a classic script in this context, so its top-level `function twoSum`
// (or const/let/class) needs no module.exports; require() is available to it as usual.
// Arguments come as JSON on fd 3; the return value goes as JSON to fd 4, apart from stdout.
'use strict';
const fs = require('fs');
const vm = require('vm');

const [solutionPath, functionName] = process.argv.slice(2);
globalThis.require = require;
vm.runInThisContext(fs.readFileSync(solutionPath, 'utf8'), { filename: 'solution.js' });
const solution = vm.runInThisContext(
  `typeof ${functionName} === 'function' ? ${functionName} : undefined`,
);
if (solution === undefined) {
  process.stderr.write(`solution.js does not define a function ${functionName}\n`);
  process.exit(1);
}
const args = JSON.parse(fs.readFileSync(3, 'utf8'));
const result = JSON.stringify(solution(...args));
fs.writeSync(4, result === undefined ? 'null' : result);
// Timers or open handles the solution left behind must not keep the test running, but what it
// printed must get out first (stdout is asynchronous when it is a pipe).
process.stdout.write('', () => process.exit(0));
