/**
 * The recorder's AudioWorklet processor, bundled on its own into
 * `static/recorder-worklet.js` and loaded with `audioWorklet.addModule`.
 *
 * It runs on the audio thread, so it does as little as it can: copy each 128-frame
 * render quantum of its (mono) input into a block and, when the block is full, transfer
 * the block to the page. The page sends the arrays back for reuse, so in steady state
 * nothing is allocated here. Resampling, chunking and uploading happen on the page.
 */
import {
  TAP_BLOCK_FRAMES,
  TAP_PROCESSOR_NAME,
  TAP_STOP,
  type TapStopped,
} from "./audio/worklet_protocol.ts";

// The AudioWorkletGlobalScope, which TypeScript's DOM library does not describe.
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(
  name: string,
  processor: new () => AudioWorkletProcessor,
): void;

/** Most returned arrays kept for reuse. */
const MAX_SPARE_BLOCKS = 4;

class RecorderTap extends AudioWorkletProcessor {
  #block = new Float32Array(TAP_BLOCK_FRAMES);
  #filled = 0;
  #spares: Float32Array<ArrayBuffer>[] = [];
  #stopped = false;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent) => {
      const data = event.data;
      if (data instanceof Float32Array) {
        if (data.length === TAP_BLOCK_FRAMES && this.#spares.length < MAX_SPARE_BLOCKS) {
          this.#spares.push(data as Float32Array<ArrayBuffer>);
        }
      } else if (data === TAP_STOP && !this.#stopped) {
        this.#stopped = true;
        const message: TapStopped = { type: "stopped", frames: this.#block.slice(0, this.#filled) };
        this.port.postMessage(message, [message.frames.buffer]);
      }
    };
  }

  process(inputs: Float32Array[][]): boolean {
    if (this.#stopped) return false;
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    let block = this.#block;
    let filled = this.#filled;
    for (let i = 0; i < channel.length; i++) {
      block[filled++] = channel[i];
      if (filled === TAP_BLOCK_FRAMES) {
        this.port.postMessage(block, [block.buffer]);
        block = this.#spares.pop() ?? new Float32Array(TAP_BLOCK_FRAMES);
        filled = 0;
      }
    }
    this.#block = block;
    this.#filled = filled;
    return true;
  }
}

registerProcessor(TAP_PROCESSOR_NAME, RecorderTap);
