/** `backprop train`'s toolkit flags: what they put in the model, --resume with them, and bad values. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';
import { loadModel } from '../../src/io/node-files.js';
import { bits, rewrite } from '../io/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-toolkit-'));

/** The η column of the epoch summary lines. */
const rates = (err: string[]) => err.filter((l) => /^epoch \d+\//.test(l)).map((l) => Number(/ lr ([\d.e-]+) /.exec(l)![1]));

describe('toolkit flags', () => {
  it('go into the network, the optimizer and the training record; the summary shows each epoch’s η', async () => {
    const out = join(dir, 'flags.safetensors');
    const r = await run(
      'train', '--data', 'moons', '--layers', '8,6', '--activation', 'elu', '--dropout', '0.2,0.1', '--l2', '0.001', '--optimizer', 'rmsprop', '--rho', '0.8',
      '--lr', '0.01', '--weight-decay', '0.01', '--schedule', 'step:every=2,factor=0.5', '--warmup', '2', '--early-stop', '9', '--monitor', 'val-accuracy',
      '--clip-norm', '1', '--clip-value', '0.5', '--epochs', '6', '--out', out,
    );
    expect(r.code).toBe(0);
    // warm-up 0.005, 0.01; then 0.01·0.5^⌊e/2⌋ for e = 0, 1, 2, 3 after it
    expect(rates(r.err)).toEqual([0.005, 0.01, 0.01, 0.01, 0.005, 0.005]);
    expect(r.err[0]).toMatch(/elu dropout 0\.2, elu dropout 0\.1, softmax; cross-entropy; rmsprop η=0\.01 ρ=0\.8 λ=0\.01, step schedule \(warm-up 2\), early stop 9 on val-accuracy, clip-norm 1, clip-value 0\.5\)/);
    const { network, info } = await loadModel(out);
    expect(network.specs).toEqual([
      { units: 8, activation: 'elu', alpha: 1, dropout: 0.2, l2: 0.001 },
      { units: 6, activation: 'elu', alpha: 1, dropout: 0.1, l2: 0.001 },
      { units: 2, activation: 'softmax', l2: 0.001 },
    ]);
    expect(info.training).toEqual({
      optimizer: { id: 'rmsprop', learningRate: 0.01, weightDecay: 0.01, rho: 0.8, epsilon: 1e-8 },
      batchSize: 32,
      epochs: 6,
      schedule: { kind: 'step', every: 2, factor: 0.5, warmupEpochs: 2 },
      earlyStopping: { monitor: 'valAccuracy', patience: 9, restoreBest: true },
      clipNorm: 1,
      clipValue: 0.5,
    });
  });

  it('--warmup alone ramps η up, then keeps it; --l1 and nesterov are recorded', async () => {
    const out = join(dir, 'warmup.safetensors');
    const r = await run('train', '--data', 'moons', '--layers', '4', '--optimizer', 'momentum', '--nesterov', '--lr', '0.04', '--warmup', '4', '--l1', '0.0001', '--epochs', '6', '--out', out);
    expect(r.code).toBe(0);
    expect(rates(r.err)).toEqual([0.01, 0.02, 0.03, 0.04, 0.04, 0.04]);
    const { network, info } = await loadModel(out);
    expect(network.layers.map((l) => l.l1)).toEqual([0.0001, 0.0001]);
    expect(info.training!.optimizer).toEqual({ id: 'momentum', learningRate: 0.04, momentum: 0.9, nesterov: true });
    expect(info.training!.schedule).toEqual({ kind: 'exponential', factor: 1, warmupEpochs: 4 });
  });

  it('early stopping says where it stopped and which epoch’s weights it kept', async () => {
    // patience 1 on a high rate: some epoch fails to improve the validation loss
    const r = await run('train', '--data', 'moons', '--layers', '8', '--optimizer', 'sgd', '--lr', '3', '--early-stop', '1', '--epochs', '40', '--seed', '2', '--out', join(dir, 'early.safetensors'));
    expect(r.code).toBe(0);
    const line = r.err.find((l) => l.startsWith('early stopping:'));
    expect(line).toMatch(/^early stopping: val-loss did not improve for 1 epochs; stopped after epoch (\d+), kept the weights of epoch (\d+)$/);
    const [, stopped, kept] = /epoch (\d+), kept the weights of epoch (\d+)/.exec(line!)!.map(Number);
    expect(kept).toBe(stopped! - 1);
    expect(rates(r.err)).toHaveLength(stopped!);
  });
});

describe('--resume with the toolkit ends bit-identical to the uninterrupted run', () => {
  const runs: [string, string[]][] = [
    ['cosine + warm-up, dropout, Nesterov, weight decay, clip-norm, early stopping', ['--schedule', 'cosine:min=1e-4', '--warmup', '1', '--dropout', '0.2', '--optimizer', 'momentum', '--nesterov', '--lr', '0.05', '--weight-decay', '0.01', '--clip-norm', '0.5', '--early-stop', '20']],
    ['plateau on val-accuracy, rmsprop, l1, clip-value', ['--schedule', 'plateau:patience=1,factor=0.5,delta=0.5', '--monitor', 'val-accuracy', '--optimizer', 'rmsprop', '--rho', '0.8', '--lr', '0.01', '--l1', '0.001', '--clip-value', '0.1']],
  ];
  for (const [label, flags] of runs) {
    it(label, async () => {
      const common = ['--data', 'moons', '--layers', '8,4', '--batch-size', '16', '--seed', '4', '--epochs', '6', ...flags];
      const name = label.split(' ')[0]!;
      // the uninterrupted run, keeping its checkpoint of epoch 3 (checkpoints do not change training)
      const whole = join(dir, `${name}-whole.safetensors`);
      const w = await run('train', ...common, '--checkpoint-every', '3', '--checkpoint', join(dir, `${name}-{epoch}.ckpt.safetensors`), '--out', whole);
      expect(w.code).toBe(0);
      // as if it had been killed during epoch 4: resume from epoch 3, no flags but the file
      const resumed = join(dir, `${name}-resumed.safetensors`);
      const r = await run('train', '--resume', join(dir, `${name}-3.ckpt.safetensors`), '--out', resumed);
      expect(r.code).toBe(0);
      expect(r.err.join('\n')).toMatch(/resuming .* at epoch 4 of 6/);
      expect(rates(r.err)).toEqual(rates(w.err).slice(3));
      const a = await loadModel(whole);
      const b = await loadModel(resumed);
      a.network.layers.forEach((l, i) => {
        expect(bits(b.network.layers[i]!.W)).toEqual(bits(l.W));
        expect(bits(b.network.layers[i]!.b)).toEqual(bits(l.b));
      });
      expect(b.info.training).toEqual(a.info.training);
    });
  }
});

describe('bad toolkit flags: one line naming the flag, exit status 2', () => {
  it.each([
    [['--l2', '-1'], /'--l2 <c>' argument '-1' is invalid\. must be a number ≥ 0/],
    [['--weight-decay', 'x'], /'--weight-decay <lambda>' argument 'x' is invalid/],
    [['--dropout', '0.2,1'], /'--dropout <rates>' argument '0\.2,1' is invalid\. must be rates in \[0, 1\)/],
    [['--layers', '8', '--dropout', '0.1,0.2'], /--dropout gives 2 rates for 1 hidden layer; give one per hidden layer, or one for all/],
    [['--layers', 'none', '--dropout', '0.1'], /--dropout is for hidden layers, and --layers none has none/],
    [['--schedule', 'linear'], /'--schedule <spec>' argument 'linear' is invalid\. must be step:every=N,factor=F \| exponential:factor=F \| cosine\[:min=η\] \| plateau:/],
    [['--schedule', 'step:every=3'], /step needs factor=…/],
    [['--schedule', 'cosine:min=x'], /cosine: min needs a number, e\.g\. min=1e-5/],
    [['--schedule', 'exponential:factor=2'], /schedule factor must be in \(0, 1\], got 2/],
    [['--schedule', 'plateau:patience=2,factor=0.5,foo=1'], /plateau takes patience, factor, min, delta, not "foo"/],
    [['--warmup', '0'], /'--warmup <n>' argument '0' is invalid\. must be an integer ≥ 1/],
    [['--early-stop', '1.5'], /'--early-stop <patience>' argument '1\.5' is invalid/],
    [['--early-stop', '3', '--validation', '0'], /--early-stop watches val-loss, which needs a validation split: --validation > 0, or --monitor loss/],
    [['--monitor', 'val-loss'], /--monitor is what --early-stop or --schedule plateau watches/],
    [['--early-stop', '3', '--monitor', 'f1'], /'--monitor <name>' argument 'f1' is invalid\. must be one of: val-loss, val-accuracy, loss, accuracy/],
    [['--clip-norm', '0'], /'--clip-norm <n>' argument '0' is invalid\. must be a number > 0/],
    [['--clip-value', '-2'], /'--clip-value <v>' argument '-2' is invalid/],
    [['--nesterov'], /--nesterov is for --optimizer momentum \(the optimizer is adam\)/],
    [['--optimizer', 'sgd', '--momentum', '0.5'], /--momentum is for --optimizer momentum/],
    [['--rho', '0.8'], /--rho is for --optimizer rmsprop/],
    [['--optimizer', 'adagrad'], /Allowed choices are sgd, momentum, adam, rmsprop/],
    [['--activation', 'mish'], /Allowed choices are .*elu, gelu, softplus, silu, swish/],
  ])('train %j', async (args, message) => {
    const r = await run('train', ...(args as string[]), '--out', join(dir, 'never.safetensors'));
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(message as RegExp);
  });

  it('--resume refuses flags that would change the saved run, naming them', async () => {
    const out = join(dir, 'refuse.safetensors');
    expect((await run('train', '--data', 'moons', '--layers', '4', '--epochs', '1', '--checkpoint-every', '1', '--out', out)).code).toBe(0);
    const r = await run('train', '--resume', join(dir, 'refuse.ckpt.safetensors'), '--lr', '0.1', '--optimizer', 'sgd', '--dropout', '0.1', '--epochs', '2', '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      expect.stringMatching(/^backprop: --resume continues the run saved in .*refuse\.ckpt\.safetensors with its own settings; --optimizer, --lr, --dropout would change that run: drop them to resume it, or start a new run without --resume$/),
    ]);
    // --epochs may change: it extends the run
    expect((await run('train', '--resume', join(dir, 'refuse.ckpt.safetensors'), '--epochs', '2', '--out', out)).code).toBe(0);
  });
});

describe('backprop explain shows the toolkit factors', () => {
  it('--step: the dropout mask and ã, the penalty’s share of ∂C/∂W, the clipped gradient and scale, the epoch’s η', async () => {
    const model = join(dir, 'explain.safetensors');
    expect((await run('train', '--data', 'moons', '--layers', '6', '--epochs', '4', '--dropout', '0.5', '--l2', '0.01', '--clip-norm', '0.05', '--schedule', 'cosine', '--warmup', '1', '--out', model)).code).toBe(0);
    const r = await run('explain', '--model', model, '--data', 'moons', '--index', '2', '--step', '--epoch', '3');
    expect(r.code).toBe(0);
    for (const line of r.out) expect([...line].length).toBeLessThanOrEqual(80);
    const text = r.out.join('\n');
    expect(text).toMatch(/^backprop explain: a training step on sample 2 of moons/);
    expect(text).toMatch(/\n  m\(1\) +6×1 .* (\d) of 6 dropped, the rest ×2\.000\n/);
    expect(text).toMatch(/\n  ã\(1\) +6×1 .*= a\(1\) ⊙ m\(1\)/);
    expect(text).toMatch(/\npenalty Σ_l l1·Σ\|W\(l\)\| \+ l2·ΣW\(l\)² = [\d.]+, part of C/);
    expect(text).toMatch(/penalty's +2×6 .*= l1·sign\(W\) \+ 2·l2·W, [\d.]+% of ‖∂C\/∂W\(2\)‖/);
    expect(text).toMatch(/clipped +6×2 .*∂C\/∂W\(1\) as the update uses it/);
    expect(text).toMatch(/\nClipping: the gradient's global norm scaled by min\(1, clipNorm\/‖g‖\) = [\d.e-]+\n/);
    // cosine after one warm-up epoch: epoch 3 is e = 1 of 3, η = η₀·(1 + cos(π/3))/2 = 0.75·0.001
    // then the update of each parameter with that η
    expect(text).toMatch(/\n  η = 7\.50e-4 \(epoch 3 of the recorded run\)\n  W\(1\) +6×2 /);
    const json = JSON.parse((await run('explain', '--model', model, '--data', 'moons', '--index', '2', '--step', '--json')).out[0]!);
    expect(Object.keys(json.layers[0])).toEqual(expect.arrayContaining(['mask', 'aDropped', 'dWPenalty', 'dWClipped']));
    expect(json.learningRate).toBe(0.001);
    // without --step: a prediction's backward pass (no mask, no clipping)
    const plain = (await run('explain', '--model', model, '--data', 'moons', '--index', '2')).out.join('\n');
    expect(plain).not.toMatch(/m\(1\)|Clipping|clipped/);
    expect(plain).toMatch(/penalty's/);
  });

  it.each([
    [['--epoch', '2'], /--epoch is for --step/],
    [['--step', '--epoch', '9'], /--epoch 9 is beyond the 4 epochs of the recorded run/],
  ])('explain %j: exit 2', async (args, message) => {
    const r = await run('explain', '--model', join(dir, 'explain.safetensors'), '--data', 'moons', ...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(message as RegExp);
  });
});

describe('older files', () => {
  it('a checkpoint without a training record or state (written before them) still resumes, and gets a record', async () => {
    const out = join(dir, 'old.safetensors');
    expect((await run('train', '--data', 'moons', '--layers', '4', '--optimizer', 'momentum', '--lr', '0.05', '--epochs', '2', '--checkpoint-every', '1', '--out', out)).code).toBe(0);
    const ckpt = join(dir, 'old.ckpt.safetensors');
    const old = rewrite(new Uint8Array(readFileSync(ckpt)), (_, m) => {
      const info = JSON.parse(m['backprop']!) as Record<string, unknown>;
      delete info['training'];
      m['backprop'] = JSON.stringify(info);
      const c = JSON.parse(m['checkpoint']!) as Record<string, unknown>;
      delete c['state'];
      m['checkpoint'] = JSON.stringify(c);
    });
    writeFileSync(ckpt, old);
    const r = await run('train', '--resume', ckpt, '--epochs', '3', '--out', join(dir, 'old-resumed.safetensors'));
    expect(r.code).toBe(0);
    const { info } = await loadModel(join(dir, 'old-resumed.safetensors'));
    expect(info.training).toEqual({ optimizer: { id: 'momentum', learningRate: 0.05, momentum: 0.9 }, batchSize: 32, epochs: 3 });
  });
});

describe('backprop export of a toolkit model', () => {
  it('writes ONNX and TF.js for gelu with dropout (the exports drop the dropout)', async () => {
    const model = join(dir, 'gelu.safetensors');
    expect((await run('train', '--data', 'moons', '--layers', '6', '--activation', 'gelu', '--dropout', '0.3', '--epochs', '1', '--out', model)).code).toBe(0);
    expect((await run('export', '--model', model, '--format', 'onnx', '--out', join(dir, 'gelu.onnx'))).code).toBe(0);
    expect(readFileSync(join(dir, 'gelu.onnx')).toString('latin1')).toContain('Erf');
    expect((await run('export', '--model', model, '--format', 'tfjs', '--out', join(dir, 'gelu-tfjs'))).code).toBe(0);
    const layers = (JSON.parse(readFileSync(join(dir, 'gelu-tfjs', 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { config: { activation: string } }[] } } }).modelTopology.config.layers;
    expect(layers.map((l) => l.config.activation)).toEqual(['gelu', 'softmax']);
  });
});
