/**
 * Conversions between the public types and the binding's `Native*` types,
 * shared by the async and sync APIs so they cannot drift.
 */
import type { NativeContainerInfo, NativeContainerListItem, NativeImageInfo, NativeProgress } from '../binding.js'
import { argTypeError } from './errors'
import type { ContainerInfo, ContainerListItem, ImageInfo, ProgressEvent } from './types'

export function toBuffer(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  throw argTypeError('expected a string or a Uint8Array')
}

export function toContainerInfo(i: NativeContainerInfo): ContainerInfo {
  return {
    ...i,
    killMode: i.killMode === 'subreaper' ? 'subreaper' : 'marker',
    createdAt: new Date(i.createdAt),
    startedAt: i.startedAt ? new Date(i.startedAt) : null,
    ipAddress: i.ipAddress ?? null,
  }
}

/** A list entry of the binding as the public `ContainerListItem`. */
export function toListItem(i: NativeContainerListItem): ContainerListItem {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    image: i.image,
    createdAt: new Date(i.createdAt),
    persist: i.persist,
    project: i.project ?? null,
  }
}

/** A progress event of the binding as the public `ProgressEvent`, by kind. */
export function toProgress(p: NativeProgress): ProgressEvent {
  switch (p.kind) {
    case 'step':
      return { kind: 'step', step: p.step ?? 0, total: p.total ?? 0, text: p.text ?? '' }
    case 'layer':
      return { kind: 'layer', id: p.id ?? '', status: p.status ?? '', current: p.current, total: p.total }
    case 'bytes':
      return { kind: 'bytes', done: p.done ?? 0, total: p.total }
    default:
      return { kind: 'log', text: p.text ?? '' }
  }
}

/** An image list entry of the binding as the public `ImageInfo`. */
export function toImageInfo(i: NativeImageInfo): ImageInfo {
  return { ...i, createdAt: new Date(i.createdAt), profile: i.profile ?? null }
}
