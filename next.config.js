// Next.js config for the studio UI. The server (server/main.ts) embeds Next as a request
// handler; Next only builds app/. Type checking is done by `npm run typecheck` over the whole
// project, not by `next build`, so the two cannot disagree.
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  typescript: { ignoreBuildErrors: true },
  eslint: { ignoreDuringBuilds: true },
  // The browser never gets tfjs or node code: app/ imports protocol/ only.
  serverExternalPackages: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'sharp'],
  poweredByHeader: false,
  // protocol/ is shared with the server, which runs it as ESM with `.js` import suffixes.
  webpack(config) {
    config.resolve.extensionAlias = { '.js': ['.ts', '.tsx', '.js'] };
    return config;
  },
};
export default nextConfig;
