export { startMongoDouble, type MongoDouble, type MongoDoubleOptions } from "./server.js";
export { parseDataDir } from "./environment.js";
