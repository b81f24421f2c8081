"""The seeds' hand derivations, computed independently of the library (plain Python floats), for the
playground's two seed presets. test/web/playground.test.ts holds these numbers; rerun with
`python3 test/web/seed-presets.py` if a preset changes.

Notation of the seeds: z(l) = W(l)·a(l-1) + b(l), a(l) = σ(z(l)), C = (1/n_L)·Σ(a(L) − y)²,
∂C/∂a(L) = 2(a(L) − y)/n_L, δ(l) = ∂C/∂a(l)·σ'(z(l)), ∂C/∂W(l) = δ(l)·a(l-1)ᵀ, ∂C/∂b(l) = δ(l),
∂C/∂a(l-1) = W(l)ᵀ·δ(l).
"""
import math


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def chain():
    # 001: four layers with one neuron each: x → a(1) → a(2) → a(3), sigmoid, C = (a(3) − y)²
    x, y = 1.0, 0.0
    w = [1.5, -2.0, 1.0]
    b = [0.0, 0.5, -0.5]
    a = [x]
    z = []
    for l in range(3):
        z.append(w[l] * a[-1] + b[l])
        a.append(sigmoid(z[-1]))
    C = (a[3] - y) ** 2
    dA = 2 * (a[3] - y)  # n_L = 1
    out = {'C': C}
    for l in (3, 2, 1):
        sp = a[l] * (1 - a[l])
        delta = dA * sp
        out[l] = {'z': z[l - 1], 'a': a[l], 'dA': dA, 'sigmaPrime': sp, 'delta': delta, 'dW': delta * a[l - 1], 'db': delta}
        dA = w[l - 1] * delta
        if l > 1:
            out[l]['dAPrev'] = dA
    return out


def relu_sigmoid():
    # 003: Z1 = W1·X + B1, A1 = ReLU(Z1), Z2 = W2·A1 + B2, A2 = sigmoid(Z2), C = (1/n_L)Σ(A2 − Y)²
    # X: the features x₁, x₂, x₁x₂ of the point (0.8, 0.5); Y = 1 (class 1)
    X = [0.8, 0.5, 0.8 * 0.5]
    Y = 1.0
    W1 = [[0.05629, 0.596, 0.238], [0.303, 0.421, 0.855], [0.655, 0.457, 0.618]]  # the seed's W_hidden
    B1 = [0.1, -1.0, 0.2]
    W2 = [[0.5, -0.4, 0.3]]
    B2 = [-0.1]
    Z1 = [sum(W1[j][k] * X[k] for k in range(3)) + B1[j] for j in range(3)]
    A1 = [max(0.0, z) for z in Z1]
    Z2 = [sum(W2[0][k] * A1[k] for k in range(3)) + B2[0]]
    A2 = [sigmoid(Z2[0])]
    nL = 1
    C = (A2[0] - Y) ** 2 / nL
    dA2 = [2 * (A2[0] - Y) / nL]
    sp2 = [A2[0] * (1 - A2[0])]
    d2 = [dA2[0] * sp2[0]]
    dW2 = [[d2[0] * A1[k] for k in range(3)]]
    dA1 = [W2[0][k] * d2[0] for k in range(3)]
    sp1 = [1.0 if z > 0 else 0.0 for z in Z1]
    d1 = [dA1[j] * sp1[j] for j in range(3)]
    dW1 = [[d1[j] * X[k] for k in range(3)] for j in range(3)]
    return {
        'C': C,
        2: {'z': Z2, 'a': A2, 'dA': dA2, 'sigmaPrime': sp2, 'delta': d2, 'dW': sum(dW2, []), 'db': d2, 'dAPrev': dA1},
        1: {'z': Z1, 'a': A1, 'sigmaPrime': sp1, 'delta': d1, 'dW': sum(dW1, []), 'db': d1},
    }


if __name__ == '__main__':
    import json
    print(json.dumps({'seed-chain': chain(), 'seed-relu-sigmoid': relu_sigmoid()}, indent=1))
