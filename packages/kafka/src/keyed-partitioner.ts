import { type ICustomPartitioner, Partitioners } from 'kafkajs'

/** Past this many distinct keys the memo starts over (ingest keys by AppID: a handful). */
const MAX_REMEMBERED_KEYS = 1_024

/**
 * kafkajs's default partitioner, with each string key's partition remembered for the partition count
 * it was computed for. The default hashes the key (murmur2 on kafkajs's 64-bit Long objects) for every
 * record; a key's partition depends only on the key and the topic's partition count, so a remembered
 * one is the very partition the default gives. A changed count (partitions added at runtime) is
 * computed afresh. Buffer keys, keyless messages and messages naming a partition go to the default.
 */
export const KeyedPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner()
  const remembered = new Map<string, { count: number; partition: number }>()
  return (args) => {
    const { key, partition } = args.message
    if (typeof key !== 'string' || (partition !== undefined && partition !== null)) return fallback(args)
    const count = args.partitionMetadata.length
    const known = remembered.get(key)
    if (known !== undefined && known.count === count) return known.partition
    const computed = fallback(args)
    if (known !== undefined) {
      known.count = count
      known.partition = computed
    } else {
      if (remembered.size >= MAX_REMEMBERED_KEYS) remembered.clear()
      remembered.set(key, { count, partition: computed })
    }
    return computed
  }
}
