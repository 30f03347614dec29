/**
 * Constants that the LSTM kernels share and must agree on for their results to be the same bit
 * for bit: the coefficients and range of the rational tanh approximation (Eigen's float32
 * minimax approximation) used by `fastTanh` (`lstm_kernels.ts`) and the SIMD kernels of
 * `simd_gates.ts` and `simd_lstm.ts`, and the gradient flush threshold of `lstm_kernels.ts`'s
 * backward pass and `simd_gates.ts`. A module of its own, so that the kernels can import it
 * without a cycle.
 *
 * @module
 */

/** `fastTanh`'s (`lstm_kernels.ts`) numerator coefficients, of x¹, x³, … x¹³ (shared with the SIMD kernels). */
export const TANH_NUMERATOR: readonly number[] = [
  4.89352455891786e-03,
  6.37261928875436e-04,
  1.48572235717979e-05,
  5.12229709037114e-08,
  -8.60467152213735e-11,
  2.00018790482477e-13,
  -2.76076847742355e-16,
];
/** `fastTanh`'s (`lstm_kernels.ts`) denominator coefficients, of x⁰, x², x⁴, x⁶. */
export const TANH_DENOMINATOR: readonly number[] = [
  4.89352518554385e-03,
  2.26843463243900e-03,
  1.18534705686654e-04,
  1.19825839466702e-06,
];
/**
 * `fastTanh` uses the rational approximation on |x| ≤ this and `(1 − e)/(1 + e)` with
 * `e = exp(−2|x|)` beyond it.
 */
export const TANH_RATIONAL_LIMIT = 7.9;
/**
 * Gradients within ± this become +0 in the backward passes: far below anything that can change
 * a weight update, and above float32's subnormal range, whose arithmetic is slow.
 */
export const FLUSH_BELOW = 1e-30;
