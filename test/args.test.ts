import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, formatHelp, defineArgs, ArgError, type ArgSpec } from '../cli/args.js';

const spec = defineArgs({
  epochs: { type: 'int', default: 3, positive: true, help: 'passes over the data' },
  lr: { type: 'number', default: 1e-3, positive: true, help: 'learning rate', short: 'l' },
  batchSize: { type: 'int', default: 64, min: 1, max: 4096, help: 'samples per step' },
  optimizer: { type: 'enum', choices: ['sgd', 'adam', 'adamw'], default: 'adam', help: 'update rule' },
  out: { type: 'string', help: 'where to write the report' },
  verbose: { type: 'boolean', help: 'log every step' },
  shift: { type: 'number', help: 'an offset that may be negative' },
});

function argErr(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ArgError, `expected ArgError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('defaults fill in and values are typed', () => {
  const { values, positionals, help } = parseArgs(spec, []);
  assert.deepEqual(values, { epochs: 3, lr: 1e-3, batchSize: 64, optimizer: 'adam', verbose: false });
  assert.deepEqual(positionals, []);
  assert.equal(help, false);
  // compile-time typing: these lines would not type-check if the result were loosely typed
  const e: number = values.epochs;
  const o: 'sgd' | 'adam' | 'adamw' = values.optimizer;
  const out: string | undefined = values.out;
  assert.equal(e + o.length + (out?.length ?? 0), 7);
});

test('space and = forms, kebab-case flags, short alias, booleans, negative numbers', () => {
  const { values } = parseArgs(spec, ['--epochs', '10', '--lr=0.05', '--batch-size', '128', '--optimizer=sgd', '--out', 'r.html', '--verbose', '--shift', '-2.5']);
  assert.deepEqual(values, { epochs: 10, lr: 0.05, batchSize: 128, optimizer: 'sgd', out: 'r.html', verbose: true, shift: -2.5 });
  assert.equal(parseArgs(spec, ['-l', '2e-4']).values.lr, 2e-4);
  assert.equal(parseArgs(spec, ['--verbose', '--no-verbose']).values.verbose, false);
  assert.equal(parseArgs(spec, ['--verbose=false']).values.verbose, false);
  assert.equal(parseArgs(spec, ['--epochs', '2', '--epochs', '5']).values.epochs, 5); // last wins
});

test('bad values name the flag, the expectation and the input', () => {
  argErr(() => parseArgs(spec, ['--epochs', 'x']), '--epochs expects a positive integer, got "x"');
  argErr(() => parseArgs(spec, ['--epochs', '0']), '--epochs expects a positive integer, got "0"');
  argErr(() => parseArgs(spec, ['--epochs', '2.5']), '--epochs expects a positive integer, got "2.5"');
  argErr(() => parseArgs(spec, ['--epochs=']), '--epochs expects a positive integer, got ""');
  argErr(() => parseArgs(spec, ['--lr', '0x10']), '--lr expects a positive number, got "0x10"');
  argErr(() => parseArgs(spec, ['--lr', 'Infinity']), '--lr expects a positive number, got "Infinity"');
  argErr(() => parseArgs(spec, ['--lr', '-1']), '--lr expects a positive number, got "-1"');
  argErr(() => parseArgs(spec, ['--batch-size', '5000']), '--batch-size expects an integer in [1, 4096], got "5000"');
  argErr(() => parseArgs(spec, ['--optimizer', 'rmsprop']), '--optimizer expects one of sgd, adam, adamw, got "rmsprop"');
  argErr(() => parseArgs(spec, ['--verbose=maybe']), '--verbose expects true or false, got "maybe"');
});

test('missing values, unknown options and stray arguments', () => {
  argErr(() => parseArgs(spec, ['--epochs']), '--epochs expects a positive integer, got nothing');
  argErr(() => parseArgs(spec, ['--epochs', '--verbose']), '--epochs expects a positive integer, got nothing');
  argErr(() => parseArgs(spec, ['--epoch', '3']), 'unknown option --epoch (did you mean --epochs?)');
  argErr(() => parseArgs(spec, ['--zzz']), 'unknown option --zzz');
  argErr(() => parseArgs(spec, ['-q']), 'unknown option -q');
  argErr(() => parseArgs(spec, ['--no-epochs']), /unknown option --no-epochs/);
  argErr(() => parseArgs(spec, ['mnist']), 'unexpected argument "mnist"');
  const r = parseArgs(spec, ['train', 'mnist', '--epochs', '1', '--', '--not-a-flag'], { maxPositionals: 3 });
  assert.deepEqual(r.positionals, ['train', 'mnist', '--not-a-flag']);
  argErr(() => parseArgs(spec, ['a', 'b'], { maxPositionals: 1 }), /too many arguments: at most 1 allowed/);
});

test('required options and custom validators', () => {
  const s = {
    data: { type: 'string', required: true, help: 'dataset path', validate: (v: string) => (v.endsWith('.bin') ? undefined : 'expects a .bin file') },
    hidden: { type: 'int', default: 128, help: 'width', validate: (v: number) => ((v & (v - 1)) === 0 ? undefined : 'must be a power of two') },
  } satisfies ArgSpec;
  argErr(() => parseArgs(s, []), 'missing required option --data (a string)');
  argErr(() => parseArgs(s, ['--data', 'x.txt']), '--data expects a .bin file, got "x.txt"');
  argErr(() => parseArgs(s, ['--data', 'x.bin', '--hidden', '100']), '--hidden must be a power of two, got "100"');
  const v: string = parseArgs(s, ['--data', 'x.bin']).values.data;
  assert.equal(v, 'x.bin');
});

test('an invalid default is a programming error, not an ArgError', () => {
  assert.throws(
    () => parseArgs({ n: { type: 'int', default: 0, positive: true, help: 'n' } }, []),
    (e: unknown) => e instanceof Error && !(e instanceof ArgError) && /default for --n is invalid/.test(e.message),
  );
});

test('--help is reported, and the help text lists every option with its constraints', () => {
  const r = parseArgs(spec, ['--help', 'extra']);
  assert.equal(r.help, true);
  const text = formatHelp(spec, { usage: 'nabla train mnist [options]', description: 'Train an MLP on MNIST.' });
  assert.match(text, /^Usage: nabla train mnist \[options\]\n\nTrain an MLP on MNIST\.\n\nOptions:\n/);
  assert.match(text, /--epochs <int> +passes over the data \(a positive integer; default 3\)/);
  assert.match(text, /-l, --lr <number> +learning rate \(a positive number; default 0\.001\)/);
  assert.match(text, /--batch-size <int> +samples per step \(an integer in \[1, 4096\]; default 64\)/);
  assert.match(text, /--optimizer <sgd\|adam\|adamw> +update rule \(default adam\)/);
  assert.match(text, /--verbose +log every step\n/);
  assert.match(text, /-h, --help +show this help/);
  // descriptions line up in one column
  const lines = text.split('\n');
  const col = (help: string): number => lines.find((l) => l.includes(help))!.indexOf(help);
  assert.equal(col('passes over the data'), col('show this help'));
  assert.equal(col('learning rate'), col('show this help'));
});
