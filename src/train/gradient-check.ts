import type { Gradients } from '../network.js';
import type { Parameter } from '../optimizers/index.js';
import type { MatrixLike } from '../tensor/matrix.js';
import type { TargetLike } from './data.js';

/** What a gradient check needs of a network: its parameters and its gradients (with the cost) at a point. */
export interface Checkable {
  /** Every θ, perturbed in place by the check and put back. */
  parameters(): readonly Parameter[];
  /** The cost and ∂C/∂θ at the current parameters, as {@link Network.gradients} gives them. */
  gradients(x: MatrixLike, y: TargetLike, options?: { dropoutKey?: number }): Gradients;
}

/** The settings of {@link gradientCheck}. */
export interface GradientCheckOptions {
  /** Step of the central difference (default 1e-5; the network should be float64). */
  h?: number;
  /** Check through the dropout masks this key draws, held fixed (default: dropout off). */
  dropoutKey?: number;
  /** Relative errors are measured against max(|analytic|, |numeric|, floor) (default 1e-4). */
  floor?: number;
}

/** The worst disagreement between backpropagation and finite differences, and where it is. */
export interface GradientCheckResult {
  /** The largest relative error |∂C/∂θ − (C(θ+h) − C(θ−h))/2h| / max(|·|, |·|, floor) over all parameters. */
  worst: number;
  /** Where it is: parameter name (layers.{i}.weight or .bias) and index. */
  at: {
    /** `layers.{i}.weight` or `layers.{i}.bias` */
    name: string;
    /** The entry of that parameter, row-major (W(l) is units × inputs). */
    index: number;
  };
  /** Parameters compared. */
  checked: number;
}

/**
 * Compares backpropagation's gradient with central finite differences of the cost, one parameter
 * at a time, as the library's own tests do: use it to check a custom activation or cost. Run it on
 * a float64 network (`dtype: 'float64'`) and a few samples; worst below about 1e-6 means the
 * gradient is right.
 *
 * @param net - a network (or anything with `parameters()` and `gradients()`)
 * @example
 * ```ts
 * import { gradientCheck, network } from 'backprop';
 *
 * const net = network([3, { units: 4, activation: 'gelu' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', dtype: 'float64', seed: 1 });
 * const { worst, checked } = gradientCheck(net, [[0.1, -0.4, 0.7], [1, 0.2, -0.3]], [0, 1]);
 * console.log(worst < 1e-6, checked);   // true 26
 * ```
 */
export function gradientCheck(net: Checkable, x: MatrixLike, y: TargetLike, options: GradientCheckOptions = {}): GradientCheckResult {
  const h = options.h ?? 1e-5;
  const floor = options.floor ?? 1e-4;
  const key = options.dropoutKey === undefined ? {} : { dropoutKey: options.dropoutKey };
  const analytic = net.gradients(x, y, key).layers.flatMap((l) => [l.dW.data, l.db.data]);
  const cost = () => net.gradients(x, y, key).loss;
  const result: GradientCheckResult = { worst: 0, at: { name: '', index: -1 }, checked: 0 };
  net.parameters().forEach((p, k) => {
    const theta = p.value;
    for (let i = 0; i < theta.length; i++) {
      const keep = theta[i]!;
      theta[i] = keep + h;
      const plus = cost();
      theta[i] = keep - h;
      const minus = cost();
      theta[i] = keep;
      const numeric = (plus - minus) / (2 * h);
      const a = analytic[k]![i]!;
      const rel = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), floor);
      if (!(rel <= result.worst)) result.at = { name: p.name, index: i };
      result.worst = Math.max(result.worst, rel);
      result.checked++;
    }
  });
  return result;
}
