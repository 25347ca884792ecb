interface GroupArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
}

/**
 * kafkajs 2.2.4's producer/groupMessagesPerPartition.js copies the partition's whole list for every
 * message (`[...current, message]` inside a reduce): quadratic in the batch size, ~6 % of the
 * engine's CPU in the B2 profile. Same result (an object of partition → messages in order), linear.
 */
export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: GroupArgs): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list) list.push(message);
    else result[partition] = [message];
  }
  return result;
}
