/** Defaults and limits of the math. */

/** Centred-difference step of the gradient check (Raschka's and ex4's ε). */
export const GRADCHECK_EPSILON = 1e-4;
/** Relative error at or below which a gradient check is "ok" (Raschka's thresholds). */
export const GRADCHECK_OK = 1e-7;
/** Relative error at or below which a gradient check is a "warning"; above it, a "problem". */
export const GRADCHECK_WARNING = 1e-4;

/** ex4's ε_init for the `uniform` initialiser. */
export const DEFAULT_UNIFORM_INIT_EPSILON = 0.12;

/** Largest layer width we accept; keeps a typo like 7840000 from allocating gigabytes. */
export const MAX_LAYER_SIZE = 1 << 16;

/** Environment variable that forces a kernel backend (e.g. `reference`). */
export const KERNEL_ENV_VAR = 'GRADSWARM_KERNEL';
