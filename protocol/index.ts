export * from './events.js';
export * from './graph.js';
export * from './validate.js';
export * from './modes.js';
export * from './rest.js';
export * from './sweep.js';
