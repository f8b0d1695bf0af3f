# One image for both services; pick one with the command, e.g.
#   docker run roster node packages/user-service/dist/main.js
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npx turbo run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# A 32 MiB young generation: fewer scavenges per call (see serviceNodeOptions in packages/dev-stack).
ENV NODE_OPTIONS=--max-semi-space-size=32
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 50051 8051 50052 8052
CMD ["node", "packages/user-service/dist/main.js"]
