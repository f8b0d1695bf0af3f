export { freePort } from "./free-port.js";
export {
  startServiceProcess,
  type ExitStatus,
  type ServiceProcess,
  type StartServiceProcessOptions,
} from "./service-process.js";
export {
  startStack,
  randomKey,
  serviceEntry,
  type Stack,
  type StackOptions,
  type StackTls,
  type StackPorts,
  type ServiceName,
} from "./stack.js";
