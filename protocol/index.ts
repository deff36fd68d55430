export * from './events.js';
export * from './graph.js';
