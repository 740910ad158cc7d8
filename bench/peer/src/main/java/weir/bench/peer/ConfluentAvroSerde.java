package weir.bench.peer;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro GenericRecord values in the Confluent wire format (magic byte 0, 4-byte big-endian schema id,
 * Avro binary). Deserializing resolves the writer schema by id (once per id); serializing writes with
 * the latest schema of the topic's value subject (looked up once per topic). Decoders, encoders and
 * output buffers are reused per thread (a Serde instance is shared by all stream threads).
 */
final class ConfluentAvroSerde implements Serde<GenericRecord>, Serializer<GenericRecord>, Deserializer<GenericRecord> {
  private static final byte MAGIC = 0;
  private static final int HEADER = 5;

  private final Registry registry;
  private final ConcurrentHashMap<Integer, GenericDatumReader<GenericRecord>> readers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Writer> writers = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryDecoder> decoder = new ThreadLocal<>();
  private final ThreadLocal<Output> output = ThreadLocal.withInitial(Output::new);

  ConfluentAvroSerde(Registry registry) {
    this.registry = registry;
  }

  @Override
  public Serializer<GenericRecord> serializer() {
    return this;
  }

  @Override
  public Deserializer<GenericRecord> deserializer() {
    return this;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {}

  @Override
  public void close() {}

  // --- deserializer

  @Override
  public GenericRecord deserialize(String topic, byte[] data) {
    if (data == null) return null;
    if (data.length < HEADER || data[0] != MAGIC) throw new SerializationException(topic + ": not in the Confluent wire format");
    int id = ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
    GenericDatumReader<GenericRecord> reader = readers.get(id);
    if (reader == null) reader = readers.computeIfAbsent(id, i -> new GenericDatumReader<>(new Schema.Parser().parse(registry.schemaById(i))));
    BinaryDecoder d = DecoderFactory.get().binaryDecoder(data, HEADER, data.length - HEADER, decoder.get());
    decoder.set(d);
    try {
      return reader.read(null, d);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(topic + ": cannot decode an Avro value with schema id " + id, e);
    }
  }

  // --- serializer

  private static final class Writer {
    final byte[] header;
    final Schema schema;
    final GenericDatumWriter<GenericRecord> datumWriter;
    /** The last record schema instance found equal to `schema` (records of one reader share one instance). */
    volatile Schema checked;

    Writer(int id, Schema schema) {
      this.header = new byte[] {MAGIC, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id};
      this.schema = schema;
      this.datumWriter = new GenericDatumWriter<>(schema);
      this.checked = schema;
    }
  }

  /** A growable byte buffer without ByteArrayOutputStream's locking, reset per record. */
  private static final class Output extends OutputStream {
    byte[] buf = new byte[256];
    int size;
    BinaryEncoder encoder;

    @Override
    public void write(int b) {
      ensure(1);
      buf[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, size, len);
      size += len;
    }

    private void ensure(int more) {
      if (size + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }

  @Override
  public byte[] serialize(String topic, GenericRecord record) {
    if (record == null) return null;
    Writer w = writers.get(topic);
    if (w == null) w = writers.computeIfAbsent(topic, this::writerFor);
    Schema s = record.getSchema();
    if (s != w.checked) {
      if (!s.equals(w.schema)) throw new SerializationException(topic + ": record schema " + s.getFullName() + " differs from the subject's latest");
      w.checked = s;
    }
    Output out = output.get();
    out.size = 0;
    out.write(w.header, 0, HEADER);
    BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, out.encoder);
    out.encoder = e;
    try {
      w.datumWriter.write(record, e);
    } catch (IOException | RuntimeException ex) {
      throw new SerializationException(topic + ": cannot encode an Avro value", ex);
    }
    return Arrays.copyOf(out.buf, out.size);
  }

  private Writer writerFor(String topic) {
    Registry.Registered latest = registry.latest(topic + "-value");
    return new Writer(latest.id(), new Schema.Parser().parse(latest.schema()));
  }
}
