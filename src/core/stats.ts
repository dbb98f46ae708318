// Chi-square goodness of fit: is a split of events across tasks unlike an even one?

/** P(X >= x) for a chi-square variable with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(x > 0)) return 1;
  if (!Number.isFinite(x)) return 0;
  return regularizedGammaQ(df / 2, x / 2);
}

/** Q(a, x) = Γ(a, x) / Γ(a): series below a + 1, continued fraction above (Numerical Recipes 6.2). */
function regularizedGammaQ(a: number, x: number): number {
  if (x < a + 1) return 1 - gammaPSeries(a, x);
  return gammaQContinuedFraction(a, x);
}

function gammaPSeries(a: number, x: number): number {
  let sum = 1 / a;
  let term = sum;
  for (let n = 1; n < 1000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
  }
  return Math.min(1, sum * Math.exp(-x + a * Math.log(x) - logGamma(a)));
}

function gammaQContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.max(0, Math.exp(-x + a * Math.log(x) - logGamma(a)) * h);
}

/** Lanczos approximation (g = 7, n = 9). */
function logGamma(z: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const zz = z - 1;
  let x = c[0]!;
  for (let i = 1; i < 9; i++) x += c[i]! / (zz + i);
  const t = zz + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (zz + 0.5) * Math.log(t) - t + Math.log(x);
}

// Binomial lower tail: is a set of tasks that should get a fraction p of the events this quiet?

/**
 * Upper bound on P(X <= x) for X ~ Binomial(n, p): the Chernoff bound exp(-n·D(x/n ‖ p)), D the
 * Kullback-Leibler divergence of two Bernoulli laws. Exact at x = 0 ((1 - p)^n), never below the
 * true tail elsewhere, so a test on it errs towards "not significant". Works on real x and n, and on
 * figures too large to sum term by term. Returned as a natural logarithm so it never underflows.
 */
export function logBinomialLowerTailBound(x: number, n: number, p: number): number {
  if (!(n > 0) || !(p > 0) || x < 0) return 0;
  if (p >= 1) return x >= n ? 0 : -Infinity;
  const f = Math.min(1, x / n);
  if (f >= p) return 0;
  const kl = (f > 0 ? f * Math.log(f / p) : 0) + (f < 1 ? (1 - f) * Math.log((1 - f) / (1 - p)) : 0);
  return -n * kl;
}

/** ln C(n, k), for the number of ways to pick k tasks of n. */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  if (k === 0 || k === n) return 0;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}
