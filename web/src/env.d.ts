// The library's fit() yields with setImmediate where it exists (Node) and setTimeout otherwise;
// the browser has no such function, but the type must exist for the library to type-check here.
declare function setImmediate(callback: () => void): unknown;
