package dev.millrace.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The Kafka Streams counterparts of Millrace bench flows. Topology "b1" (default): the B1 flow's
 * filter and map on the same JSON records (filter: value.amount % 2 = 0; map: { id, ts, amount,
 * total: amount * 1.19, customer }). Topology "count" (B7): groupByKey().count() with the record
 * cache off, so every input record emits its key's new count (as Millrace's aggregate does), the
 * count written as decimal text (Millrace writes it as a JSON number).
 *
 * args: bootstrapServers inputTopic outputTopic applicationId [threads] [guarantee] [b1|count]
 * Prints "START <epoch ms>" just before streams.start() (the bench times from there, like a
 * Millrace deploy), "RUNNING" when the state becomes RUNNING; runs until SIGTERM.
 */
public final class StreamsBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode parse(byte[] in) {
    try {
      return in == null ? null : JSON.readTree(in);
    } catch (java.io.IOException e) {
      return null; // not JSON: filtered out below
    }
  }

  static boolean keep(JsonNode v) {
    JsonNode a = v == null ? null : v.get("amount");
    return a != null && a.isNumber() && a.asLong() % 2 == 0;
  }

  static byte[] transform(JsonNode v) {
    ObjectNode out = JSON.createObjectNode();
    out.set("id", v.get("id"));
    out.set("ts", v.get("ts"));
    out.set("amount", v.get("amount"));
    out.put("total", v.get("amount").asDouble() * 1.19);
    out.set("customer", v.get("customer"));
    try {
      return JSON.writeValueAsBytes(out);
    } catch (java.io.IOException e) {
      throw new RuntimeException(e);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: StreamsBench bootstrap input output applicationId [threads] [at_least_once|exactly_once_v2] [b1|count]");
      System.exit(2);
    }
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, args.length > 4 ? Integer.parseInt(args[4]) : 1);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args.length > 5 ? args[5] : StreamsConfig.AT_LEAST_ONCE);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArray().getClass());
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArray().getClass());
    p.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/millrace-streams-bench-" + args[3]);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    String topology = args.length > 6 ? args[6] : "b1";
    StreamsBuilder b = new StreamsBuilder();
    if (topology.equals("count")) {
      p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
      b.stream(args[1], Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
          .groupByKey(Grouped.with(Serdes.ByteArray(), Serdes.ByteArray()))
          .count()
          .toStream()
          .mapValues(n -> Long.toString(n).getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .to(args[2], Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    } else if (topology.equals("b1")) {
      b.stream(args[1], Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
          .mapValues(StreamsBench::parse)
          .filter((k, v) -> keep(v))
          .mapValues(StreamsBench::transform)
          .to(args[2], Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    } else {
      System.err.println("unknown topology " + topology + " (b1 or count)");
      System.exit(2);
    }

    KafkaStreams streams = new KafkaStreams(b.build(), p);
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) System.out.println("RUNNING " + System.currentTimeMillis());
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(java.time.Duration.ofSeconds(10));
      done.countDown();
    }));
    System.out.println("START " + System.currentTimeMillis());
    System.out.flush();
    streams.start();
    done.await();
  }
}
