/**
 * Web Worker entry point that decodes image files off the main thread (used by `decode_pool.ts`).
 * Failures are returned as values rather than thrown, so the error text (which names the file) crosses
 * the worker boundary intact; decoded pixel buffers are transferred, not copied.
 *
 * @module
 */
import * as Comlink from "npm:comlink@4.4.2";
import { decodeImageFile, type DecodeOptions } from "./decode.ts";

/** The outcome of decoding one file in a worker. */
export type WorkerDecodeResult =
  | { ok: true; shape: number[]; data: Float32Array }
  | { ok: false; message: string };

/** The API a decode worker exposes through comlink. */
export interface DecodeWorkerApi {
  /** Reads and decodes one image file. */
  decode(path: string, opts: DecodeOptions): Promise<WorkerDecodeResult>;
}

const api: DecodeWorkerApi = {
  async decode(path: string, opts: DecodeOptions): Promise<WorkerDecodeResult> {
    try {
      const t = await decodeImageFile(path, opts);
      return Comlink.transfer({ ok: true, shape: t.shape, data: t.data }, [t.data.buffer as ArrayBuffer]);
    } catch (e) {
      return { ok: false, message: e instanceof Error ? e.message : `${path}: ${String(e)}` };
    }
  },
};

Comlink.expose(api);
