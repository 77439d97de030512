/**
 * Module worker of {@link segmentImages}: receives `{ rgb, H, W, method, options }`, posts the labels.
 *
 * @module
 */
import { runSegmentation } from "./segment.ts";

self.onmessage = (e: MessageEvent) => {
  const { rgb, H, W, method, options } = e.data;
  const labels = runSegmentation(rgb, H, W, method, options);
  self.postMessage(labels, { transfer: [labels.buffer as ArrayBuffer] });
};
