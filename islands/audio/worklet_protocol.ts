/**
 * What the recorder's AudioWorklet (`islands/recorder_worklet.ts`) and the page say to
 * each other over the node's message port.
 *
 * Worklet → page: a `Float32Array` of {@link TAP_BLOCK_FRAMES} mono input frames, its
 * buffer transferred; after a `"stop"` command, one {@link TapStopped} with the frames
 * collected since the last block. Page → worklet: each block's array back (transferred
 * again, so the audio thread reuses it instead of allocating), and `"stop"`.
 */

/** Name the processor is registered under. */
export const TAP_PROCESSOR_NAME = "moodline-recorder-tap";

/** Frames per block sent to the page: about 21 ms at 48 kHz. */
export const TAP_BLOCK_FRAMES = 1024;

/** The worklet's last message: the partial block, then it stops processing. */
export interface TapStopped {
  type: "stopped";
  frames: Float32Array;
}

/** Command that ends the tap. */
export const TAP_STOP = "stop";
