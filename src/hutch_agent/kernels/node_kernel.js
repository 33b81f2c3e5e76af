'use strict';
// A persistent JavaScript interpreter for `run_code`, the node counterpart of python_kernel.py.
//
// Run as its own process (as the sandbox user) with `node node_kernel.js IN_FD OUT_FD`. It reads one
// JSON request per line from IN_FD, {"code", "envs", "cwd", "setEnv", "unsetEnv"} (see
// python_kernel.py), runs the code as a script in this process's global context, and writes JSON
// messages, one per line, to OUT_FD: "ready" first, then per request stdout/stderr (what `console`
// prints), a "result" with the value of the last expression, an "error" for what the code threw,
// and "done". Declarations (var, let, const, function, class) persist from one request to the next,
// as in the node REPL. A promise the code evaluates to is awaited; a top-level `await` works too (see
// `compile`). SIGINT interrupts the
// running request (synchronous code too, via `breakOnSigint`) and is ignored between requests.
// What bypasses `console` (process.stdout.write, child processes) goes to fds 1 and 2, which the
// agent streams as well. Node built-ins only, and with a third argument `--typescript`, Debian's
// node-typescript: each request is then TypeScript, transpiled to JavaScript (types are erased, not
// checked, as `ts-node --transpile-only` does) before it runs the same way.

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const util = require('util');
const vm = require('vm');
const { Console } = require('console');
const { createRequire } = require('module');
const { Writable } = require('stream');

const inFd = Number(process.argv[2]);
const outFd = Number(process.argv[3]);
const ts = process.argv[4] === '--typescript' ? require('typescript') : null;

function send(message) {
  const data = Buffer.from(JSON.stringify(message) + '\n');
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += fs.writeSync(outFd, data, offset);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

function channelStream(type) {
  return new Writable({
    decodeStrings: false,
    write(chunk, _encoding, callback) {
      send({ type, text: typeof chunk === 'string' ? chunk : chunk.toString('utf8') });
      callback();
    },
  });
}

globalThis.console = new Console({ stdout: channelStream('stdout'), stderr: channelStream('stderr') });
globalThis.require = createRequire(path.join(process.cwd(), '[cell]'));
if (ts) globalThis.exports = {};

let interrupt = null; // rejects the promise a request awaits, while it awaits one
process.on('SIGINT', () => {
  if (interrupt) interrupt();
});
process.on('uncaughtException', (err) => send({ type: 'stderr', text: `Uncaught ${util.inspect(err)}\n` }));
process.on('unhandledRejection', (reason) => {
  send({ type: 'stderr', text: `Unhandled promise rejection: ${util.inspect(reason)}\n` });
});

function interruptedError() {
  const err = new Error('Script execution was interrupted by SIGINT');
  err.code = 'ERR_SCRIPT_EXECUTION_INTERRUPTED';
  return err;
}

// Code with a top-level `await` runs as an async function's body, where top-level `let/const/var x =`
// become assignments to globals (so they persist, as in the REPL) and the last line, if it is an
// expression, is returned as the result.
function compile(tsOrJs, filename) {
  const code = ts ? transpile(tsOrJs, filename) : tsOrJs;
  try {
    return new vm.Script(code, { filename });
  } catch (err) {
    if (!(err instanceof SyntaxError) || !/\bawait\b/.test(err.message)) throw err;
  }
  const body = code.replace(/^(?:let|const|var)\s+([A-Za-z_$][\w$]*)\s*=/gm, '$1 =');
  const lines = body.replace(/\s+$/, '').split('\n');
  const last = lines.pop().replace(/;\s*$/, '');
  let error;
  for (const candidate of [`${lines.join('\n')}\nreturn (${last}\n)`, body]) {
    try {
      return new vm.Script(`(async () => {\n${candidate}\n})()`, { filename, lineOffset: -1 });
    } catch (err) {
      error = err;
    }
  }
  throw error;
}

// A cell's TypeScript as a script: imports become require() calls on a module-less `exports`.
function transpile(code, fileName) {
  const output = ts.transpileModule(code, {
    fileName: `${fileName}.ts`,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true },
  });
  const problem = (output.diagnostics || []).find((d) => d.category === ts.DiagnosticCategory.Error);
  if (problem) {
    const where = problem.file ? problem.file.getLineAndCharacterOfPosition(problem.start) : null;
    const message = ts.flattenDiagnosticMessageText(problem.messageText, '\n');
    const error = new SyntaxError(where ? `${message} (${where.line + 1}:${where.character + 1})` : message);
    error.stack = `SyntaxError: ${error.message}`;
    throw error;
  }
  return output.outputText.replace(/^"use strict";\n/, '');
}

function awaitInterruptibly(promise) {
  return new Promise((resolve, reject) => {
    interrupt = () => reject(interruptedError());
    promise.then(resolve, reject);
  }).finally(() => {
    interrupt = null;
  });
}

function bundle(value) {
  const data = { 'text/plain': util.inspect(value, { depth: 6, maxArrayLength: 200 }) };
  const plain = value !== null && typeof value === 'object'
    && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype);
  if (plain) {
    try {
      data['application/json'] = JSON.stringify(value);
    } catch (_err) {
      // cyclic or holding a BigInt: text only
    }
  }
  return data;
}

const INTERNAL_FRAME = /\((node:|internal\/)|node_kernel\.js|^\s+at (new )?Script\b|runInThisContext/;

function errorMessage(err) {
  if (err instanceof Error) {
    const stack = String(err.stack || `${err.name}: ${err.message}`);
    const traceback = stack.split('\n').filter((line) => !INTERNAL_FRAME.test(line)).join('\n');
    return { type: 'error', name: err.name || 'Error', value: String(err.message), traceback: `${traceback}\n` };
  }
  const text = util.inspect(err);
  return { type: 'error', name: 'Error', value: text, traceback: `Uncaught ${text}\n` };
}

function setEnv(changes) {
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete process.env[key];
    else process.env[key] = value;
  }
}

let count = 0;

async function run(request) {
  count += 1;
  setEnv(request.setEnv || {});
  setEnv(Object.fromEntries((request.unsetEnv || []).map((key) => [key, null])));
  const envs = request.envs || {};
  const saved = Object.fromEntries(Object.keys(envs).map((key) => [key, process.env[key] ?? null]));
  setEnv(envs);
  const savedCwd = request.cwd ? process.cwd() : null;
  let status = 'ok';
  try {
    if (request.cwd) process.chdir(request.cwd);
    let value = compile(request.code, `cell-${count}`).runInThisContext({ breakOnSigint: true, displayErrors: false });
    if (value !== null && typeof value === 'object' && typeof value.then === 'function') {
      value = await awaitInterruptibly(value);
    }
    if (value !== undefined) send({ type: 'result', data: bundle(value), isMainResult: true });
  } catch (err) {
    status = 'error';
    send(errorMessage(err));
  } finally {
    setEnv(saved);
    if (savedCwd !== null) {
      try {
        process.chdir(savedCwd);
      } catch (_err) {
        // the code removed it: stay where it left us
      }
    }
  }
  send({ type: 'done', executionCount: count, status });
}

let queue = Promise.resolve();
const requests = readline.createInterface({ input: fs.createReadStream(null, { fd: inFd }), crlfDelay: Infinity });
requests.on('line', (line) => {
  queue = queue.then(() => run(JSON.parse(line)));
});
requests.on('close', () => queue.then(() => process.exit(0)));
send({ type: 'ready' });
