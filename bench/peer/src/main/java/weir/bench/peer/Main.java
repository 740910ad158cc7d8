package weir.bench.peer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The Kafka Streams peer of weir's exactly-once pipe: Avro Event records (Confluent wire format)
 * in, identity, Avro out, exactly_once_v2. Prints {"msg":"assigned"} once the client is RUNNING
 * (bench/harness.ts waits for it) and closes cleanly on SIGTERM.
 *
 * <p>usage: java -cp … weir.bench.peer.Main bootstrap registryUrl input output applicationId threads [key=value …]
 * (the trailing pairs are extra Streams/client properties, e.g. consumer.max.poll.records=2000).
 */
public final class Main {
  public static void main(String[] args) throws Exception {
    if (args.length < 6) {
      System.err.println("usage: Main bootstrap registryUrl input output applicationId threads [key=value …]");
      System.exit(2);
    }
    String bootstrap = args[0];
    String registryUrl = args[1];
    String input = args[2];
    String output = args[3];
    String applicationId = args[4];
    int threads = Integer.parseInt(args[5]);
    Path stateDir = Files.createTempDirectory("weir-peer-");

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    for (int i = 6; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("expected key=value, got " + args[i]);
      props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }

    ConfluentAvroSerde values = new ConfluentAvroSerde(new Registry(registryUrl));
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.ByteArray(), values))
        .mapValues(v -> v)
        .to(output, Produced.with(Serdes.ByteArray(), values));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean announced = new AtomicBoolean();
    AtomicBoolean failed = new AtomicBoolean();
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING && announced.compareAndSet(false, true)) {
            System.out.println("{\"msg\":\"assigned\"}");
            System.out.flush();
          }
          if (now == KafkaStreams.State.ERROR) failed.set(true);
          if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) stopped.countDown();
        });
    streams.setUncaughtExceptionHandler(
        e -> {
          failed.set(true);
          System.err.println("weir-peer: stream thread failed: " + e);
          e.printStackTrace();
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  streams.close(Duration.ofSeconds(30));
                  deleteTree(stateDir);
                },
                "weir-peer-shutdown"));
    streams.start();
    stopped.await();
    if (failed.get()) System.exit(1);
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp folder left behind is harmless
    }
  }
}
