// One diffusion module for the prior and the decoder: the noise schedule and forward process
// (schedule.ts), the samplers as strategies and their one list (samplers.ts), and the sampling
// loop with guidance, thresholding, seeds, per-step callback and cancellation (sample.ts), and
// edits of an existing sample through that loop: image to image and inpainting (edit.ts).
export * from './schedule.js';
export * from './samplers.js';
export * from './sample.js';
export * from './edit.js';
