import type { Metafile, Plugin } from 'esbuild';

export function nodeFree(root: string): Plugin;
export function bufferUsersOf(metafile: Metafile, root: string): string[];
