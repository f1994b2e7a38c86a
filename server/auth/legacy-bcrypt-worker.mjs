// Compares one password with one bcrypt hash, in a worker thread (server/auth/password.ts):
// bcryptjs is JavaScript, and on the main thread 60 sign-ins made an unrelated request wait 10 s.
import { parentPort, workerData } from "node:worker_threads";
import bcrypt from "bcryptjs";

parentPort.postMessage(bcrypt.compareSync(workerData.plain, workerData.hash));
