package dev.millrace.bench;

import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Debezium counterpart of Millrace's postgres-cdc → kafka-sink flow (B8): Debezium's embedded
 * engine with its Postgres connector (pgoutput, its own slot and publication, streaming only:
 * snapshot.mode no_data), the JSON converter with schemas disabled, each change produced to one
 * topic. A batch is handed back to the engine (its offsets may be committed) only after Kafka
 * acknowledged all its records, as Debezium Server's Kafka sink does.
 *
 * args: bootstrapServers topic pgHost pgPort pgDatabase table slot publication offsetsFile [expected]
 * Prints "START <epoch ms>" before the engine runs, "DONE <count> <epoch ms>" once `expected`
 * changes were acknowledged by Kafka; runs until SIGTERM (the slot is dropped on stop).
 */
public final class DebeziumBench {
  public static void main(String[] args) throws Exception {
    if (args.length < 9) {
      System.err.println("usage: DebeziumBench bootstrap topic pgHost pgPort pgDatabase schema.table slot publication offsetsFile [expected]");
      System.exit(2);
    }
    String bootstrap = args[0];
    String topic = args[1];
    long expected = args.length > 9 ? Long.parseLong(args[9]) : Long.MAX_VALUE;

    Properties producerProps = new Properties();
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // what a tuned Kafka Connect worker would use for a high-volume source: a short linger, bigger batches
    producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    producerProps.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps);

    Properties props = new Properties();
    props.setProperty("name", "millrace-bench-b8");
    props.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    props.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
    props.setProperty("offset.storage.file.filename", args[8]);
    props.setProperty("offset.flush.interval.ms", "10000");
    props.setProperty("database.hostname", args[2]);
    props.setProperty("database.port", args[3]);
    props.setProperty("database.user", "postgres");
    props.setProperty("database.password", "");
    props.setProperty("database.dbname", args[4]);
    props.setProperty("topic.prefix", "b8");
    props.setProperty("table.include.list", args[5]);
    props.setProperty("plugin.name", "pgoutput");
    props.setProperty("slot.name", args[6]);
    props.setProperty("slot.drop.on.stop", "true");
    props.setProperty("publication.name", args[7]);
    props.setProperty("publication.autocreate.mode", "filtered");
    props.setProperty("snapshot.mode", "no_data");
    props.setProperty("converter.schemas.enable", "false");

    AtomicReference<Exception> failure = new AtomicReference<>();
    long[] produced = {0};
    DebeziumEngine<ChangeEvent<String, String>> engine =
        DebeziumEngine.create(Json.class)
            .using(props)
            .notifying(
                (List<ChangeEvent<String, String>> records, DebeziumEngine.RecordCommitter<ChangeEvent<String, String>> committer) -> {
                  CountDownLatch acked = new CountDownLatch(records.size());
                  for (ChangeEvent<String, String> r : records) {
                    producer.send(
                        new ProducerRecord<>(topic, r.key(), r.value()),
                        (meta, e) -> {
                          if (e != null) failure.compareAndSet(null, e);
                          acked.countDown();
                        });
                  }
                  acked.await();
                  if (failure.get() != null) throw new RuntimeException("producing a change failed", failure.get());
                  for (ChangeEvent<String, String> r : records) committer.markProcessed(r);
                  committer.markBatchFinished();
                  long before = produced[0];
                  produced[0] += records.size();
                  if (before < expected && produced[0] >= expected) System.out.println("DONE " + produced[0] + " " + System.currentTimeMillis());
                })
            .using(
                (success, message, error) -> {
                  if (!success) {
                    System.err.println("ENGINE FAILED: " + message);
                    if (error != null) error.printStackTrace();
                    System.exit(1);
                  }
                })
            .build();

    ExecutorService executor = Executors.newSingleThreadExecutor();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    engine.close();
                    executor.shutdown();
                    executor.awaitTermination(20, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                  producer.close();
                }));
    System.out.println("START " + System.currentTimeMillis());
    executor.execute(engine);
  }
}
