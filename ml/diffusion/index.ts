// One diffusion module for the prior and the decoder: the cosine schedule and forward process
// (schedule.ts) and the samplers with guidance, seeds, per-step callback and cancellation
// (sample.ts).
export * from './schedule.js';
export * from './sample.js';
