export { startMongoDouble, type MongoDouble, type MongoDoubleOptions } from "./server.js";
export { selectMongoBackend, type MongoBackend, type MongoBackendOptions } from "./backend-selection.js";
