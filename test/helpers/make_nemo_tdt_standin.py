#!/usr/bin/python3
# A weight-free offline model in sherpa-onnx's NeMo TDT transducer interface (OfflineRecognizer modelConfig.transducer,
# modelType nemo_transducer, as Parakeet TDT), in the manner of ../shared/models/handmade/. Encoder: fbank [N,80,T] ->
# [N,2,T], each 10 ms frame's loudest log-mel band and the previous frame's. Decoder: a constant prediction network
# (one LSTM layer of size 1 by its metadata). Joiner: token 0 "▁speech" wins over the blank by how far the frame is
# above THR and the previous one below it (an onset), so each loud stretch gives one word, and a quiet onset a less
# probable one; the two duration logits always choose 1 frame. sherpa-onnx tells TDT from RNN-T by "tdt" in the
# encoder's `url` metadata. Usage: OUT=dir /usr/bin/python3 make_nemo_tdt_standin.py [THR]
import os, sys, onnx
from onnx import helper, TensorProto as T
THR = float(sys.argv[1]) if len(sys.argv) > 1 else -10.0
out = os.environ.get('OUT', '.')
def save(g, name, meta):
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='earshot-handmade'); m.ir_version = 8
    for k, v in meta.items():
        e = m.metadata_props.add(); e.key = k; e.value = v
    onnx.checker.check_model(m); onnx.save(m, f'{out}/{name}')
c = lambda n, dt, dims, vals: helper.make_tensor(n, dt, dims, vals)
# encoder: [N,80,T] -> [N,2,T]: each frame's loudest band, and the previous frame's
enc = helper.make_graph([
  helper.make_node('ReduceMax', ['audio_signal'], ['e'], axes=[1], keepdims=1),
  helper.make_node('Pad', ['e', 'pads', 'low'], ['ep']),
  helper.make_node('Slice', ['ep', 'st', 'en', 'ax'], ['prev']),
  helper.make_node('Concat', ['e', 'prev'], ['outputs'], axis=1),
  helper.make_node('Identity', ['length'], ['encoded_lengths']),
], 'enc', [helper.make_tensor_value_info('audio_signal', T.FLOAT, ['N', 80, 'T']), helper.make_tensor_value_info('length', T.INT64, ['N'])],
  [helper.make_tensor_value_info('outputs', T.FLOAT, ['N', 2, 'T']), helper.make_tensor_value_info('encoded_lengths', T.INT64, ['N'])],
  initializer=[c('pads', T.INT64, [6], [0, 0, 1, 0, 0, 0]), c('low', T.FLOAT, [], [-100.0]), c('st', T.INT64, [1], [0]), c('en', T.INT64, [1], [-1]), c('ax', T.INT64, [1], [2])])
save(enc, 'encoder.onnx', dict(vocab_size='1', subsampling_factor='1', normalize_type='', pred_rnn_layers='1', pred_hidden='1', model_type='EncDecRNNTBPEModel', url='handmade-tdt (no weights)', comment='handmade TDT, no weights'))
# decoder: a constant prediction network
dec = helper.make_graph([
  helper.make_node('Cast', ['targets'], ['tf'], to=T.FLOAT),
  helper.make_node('Mul', ['tf', 'zero'], ['t0']),
  helper.make_node('Unsqueeze', ['t0', 'ax1'], ['outputs']),
  helper.make_node('Identity', ['target_length'], ['prednet_lengths']),
  helper.make_node('Identity', ['states.1'], ['states']),
  helper.make_node('Identity', ['onnx::Slice_3'], ['162']),
], 'dec', [helper.make_tensor_value_info('targets', T.INT32, ['N', 1]), helper.make_tensor_value_info('target_length', T.INT32, ['N']),
  helper.make_tensor_value_info('states.1', T.FLOAT, [1, 'N', 1]), helper.make_tensor_value_info('onnx::Slice_3', T.FLOAT, [1, 'N', 1])],
  [helper.make_tensor_value_info('outputs', T.FLOAT, ['N', 1, 1]), helper.make_tensor_value_info('prednet_lengths', T.INT32, ['N']),
   helper.make_tensor_value_info('states', T.FLOAT, [1, 'N', 1]), helper.make_tensor_value_info('162', T.FLOAT, [1, 'N', 1])],
  initializer=[c('zero', T.FLOAT, [], [0.0]), c('ax1', T.INT64, [1], [2])])
save(dec, 'decoder.onnx', {})
# joiner: token when this frame is loud and the last was not; always advance one frame (durations 0, 1)
joi = helper.make_graph([
  helper.make_node('Reshape', ['encoder_outputs', 's2'], ['ef']),               # [1,2]
  helper.make_node('Gather', ['ef', 'i0'], ['e'], axis=1),                      # [1,1]
  helper.make_node('Gather', ['ef', 'i1'], ['p'], axis=1),
  helper.make_node('Sub', ['e', 'thr'], ['a']),
  helper.make_node('Sub', ['thr', 'p'], ['b']),
  helper.make_node('Min', ['a', 'b'], ['tok']),
  helper.make_node('Sub', ['tok', 'tok'], ['z']),
  helper.make_node('Add', ['z', 'one'], ['o']),
  helper.make_node('Concat', ['tok', 'z', 'z', 'o'], ['l'], axis=1),            # [1,4]
  helper.make_node('Reshape', ['l', 's4'], ['outputs']),
], 'joi', [helper.make_tensor_value_info('encoder_outputs', T.FLOAT, [1, 2, 1]), helper.make_tensor_value_info('decoder_outputs', T.FLOAT, [1, 1, 1])],
  [helper.make_tensor_value_info('outputs', T.FLOAT, [1, 1, 1, 4])],
  initializer=[c('s2', T.INT64, [2], [1, 2]), c('s4', T.INT64, [4], [1, 1, 1, 4]), c('i0', T.INT64, [1], [0]), c('i1', T.INT64, [1], [1]), c('thr', T.FLOAT, [1], [THR]), c('one', T.FLOAT, [1], [1.0])])
save(joi, 'joiner.onnx', {})
open(f'{out}/tokens.txt', 'w').write('▁speech 0\n<blk> 1\n')
print('ok')
