/**
 * Lessons: states with their weights typed in. The first two are the networks the students derived
 * backpropagation on by hand (the seeds), so a derivation on paper and the page show the same numbers;
 * the last two are a deep sigmoid network and its ReLU twin, to see the gradient vanish.
 */
import { defaultState, fromHash, type PlainWeights, type State } from './state.js';

export interface Preset {
  id: string;
  title: string;
  /** what the lesson shows, for the page */
  about: string;
  state: Partial<State>;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'seed-chain',
    title: 'seed: 4-layer chain',
    about:
      'x → a(1) → a(2) → a(3): four layers with one neuron each, three weights and three biases, sigmoid, C = (a(3) − y)². ' +
      'One sample, x = 1, y = 0 — the backward view walks ∂C/∂a(3) = 2(a(3) − y), σ\'(z) and ∂C/∂w(l) = a(l−1)·δ(l) with these numbers.',
    state: {
      dataset: 'custom',
      points: [{ x1: 1, x2: 0, label: 0 }],
      features: ['x1'],
      hidden: [1, 1],
      activation: 'sigmoid',
      cost: 'mse',
      optimizer: 'sgd',
      learningRate: 1,
      batchSize: 1,
      weights: [
        { W: [1.5], b: [0] },
        { W: [-2], b: [0.5] },
        { W: [1], b: [-0.5] },
      ],
      sample: 'train:0',
      stopAt: 0,
    },
  },
  {
    id: 'seed-relu-sigmoid',
    title: 'seed: ReLU → sigmoid, 3×3',
    about:
      'Z₁ = W₁X + B₁, A₁ = ReLU(Z₁), Z₂ = W₂A₁ + B₂, A₂ = sigmoid(Z₂), C = (1/n_L)Σ(A₂ − Y)², with the seed\'s W_hidden (3×3). ' +
      'Inputs x₁, x₂, x₁x₂ of the point (0.8, 0.5), so X = (0.8, 0.5, 0.4) and Y = 1; the second hidden neuron has Z₁ < 0, so its ReLU\' is 0.',
    state: {
      dataset: 'custom',
      points: [{ x1: 0.8, x2: 0.5, label: 1 }],
      features: ['x1', 'x2', 'x1x2'],
      hidden: [3],
      activation: 'relu',
      cost: 'mse',
      optimizer: 'sgd',
      learningRate: 1,
      batchSize: 1,
      weights: [
        {
          W: [0.05629, 0.596, 0.238, 0.303, 0.421, 0.855, 0.655, 0.457, 0.618],
          b: [0.1, -1, 0.2],
        },
        { W: [0.5, -0.4, 0.3], b: [-0.1] },
      ],
      sample: 'train:0',
      stopAt: 0,
    },
  },
  {
    id: 'deep-sigmoid',
    title: 'deep sigmoid (vanishing δ)',
    about:
      'Six hidden layers of sigmoid neurons: σ\' is at most 0.25, so δ shrinks layer by layer on the way back and the first layers hardly learn. ' +
      'Compare the gradient flow chart with the ReLU twin.',
    state: { dataset: 'circles', hidden: [6, 6, 6, 6, 6, 6], activation: 'sigmoid', init: 'glorot', optimizer: 'sgd', learningRate: 0.3, batchSize: 10, stopAt: 300 },
  },
  {
    id: 'deep-relu',
    title: 'deep ReLU twin',
    about: 'The same six hidden layers with ReLU (He initialisation): ReLU\' is 1 where a neuron is active, so δ keeps its size on the way back.',
    state: { dataset: 'circles', hidden: [6, 6, 6, 6, 6, 6], activation: 'relu', init: 'he', optimizer: 'sgd', learningRate: 0.3, batchSize: 10, stopAt: 300 },
  },
];

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** The state of a preset: the defaults, then the preset's fields (its weights copied). */
export function presetState(id: string): State | null {
  const p = presetById(id);
  if (!p) return null;
  const s = { ...defaultState(), ...structuredClone(p.state), preset: id };
  return s;
}

/** The preset's typed-in weights (null for presets that start from the seed's initialisation). */
export function presetWeights(id: string): PlainWeights[] | null {
  return structuredClone(presetById(id)?.state.weights ?? null);
}

/**
 * The state of a link: a `preset=` link starts from the preset (so a teacher's link can be as short
 * as `#preset=seed-chain&hide=data,layers&exercise=1`), and the other parameters override it.
 */
export function stateFromHash(hash: string): State {
  const id = new URLSearchParams(hash.replace(/^#/, '')).get('preset');
  const base = id ? presetState(id) : null;
  return fromHash(hash, base ?? defaultState());
}
