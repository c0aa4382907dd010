// The JavaScript harness, run as `node runner.js function|stdio solution.js [name]`.
//
// It first compiles solution.js without running it (vm.Script): any error of that is written to
// fd 5 and the supervisor reports a compile error -- no code of the user's has run, so nothing
// of a test can be in it. fd 5 is closed before the solution runs: the solution cannot forge
// one. This replaces a separate `node --check` start (docs/judge.md, "Function-style harnesses").
//
// function: the solution runs as a classic script in this context, so its top-level
// `function twoSum` (or const/let/class) needs no module.exports; require() is available to it
// as usual. Arguments come as JSON on fd 3; the return value goes as JSON to fd 4.
// stdio: the solution runs as the main CommonJS module, as `node solution.js` would run it.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

const SYNTAX_FD = 5;
const [mode, solutionPath, functionName] = process.argv.slice(2);
const source = fs.readFileSync(solutionPath, 'utf8');
let script;
try {
  const wrapped = mode === 'stdio' ? Module.wrap(source) : source;
  script = new vm.Script(wrapped, { filename: 'solution.js' });
} catch (error) {
  // Compiling runs nothing: a SyntaxError, or a RangeError of a source nested too deeply.
  const lines = String(error.stack).split('\n').filter((line) => !/^\s+at /.test(line));
  fs.writeSync(SYNTAX_FD, lines.join('\n').trim() + '\n');
  process.exit(1);
}
fs.closeSync(SYNTAX_FD);

if (mode === 'stdio') {
  const main = path.resolve(solutionPath);
  process.argv = [process.argv[0], main];
  Module._load(main, null, true); // as the main module, like `node solution.js`
} else {
  globalThis.require = require;
  script.runInThisContext();
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
  // Timers or open handles the solution left behind must not keep the test running, but what
  // it printed must get out first (stdout is asynchronous when it is a pipe).
  process.stdout.write('', () => process.exit(0));
}
