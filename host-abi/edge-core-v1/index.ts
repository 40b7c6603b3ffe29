export { readModule, WasmFormatError, type ModuleInfo, type FuncType, type Import, type Export } from './wasm-binary.ts';
export { checkAbi, ABI_NAME, ABI_SECTION } from './abi.ts';
export { encodeFrame, decodeFrame, checkResponseHead, FrameError, type RequestHead, type ResponseHead, type Pairs } from './frames.ts';
