#!/usr/bin/python3
# A weight-free offline model in sherpa-onnx's NeMo CTC interface (OfflineRecognizer modelConfig.nemoCtc), in the
# manner of ../shared/models/handmade/: input fbank features [N,80,T] + lengths [N]; output log-probs [N,T,2]
# (token 0 "▁speech", token 1 the blank, last as NeMo has it). A frame is "speech" when its loudest log-mel band
# passes THR, so greedy CTC emits one word per loud stretch, timed to the 10 ms frame (subsampling 1).
# Usage: OUT=dir /usr/bin/python3 make_nemo_ctc_standin.py [THR]
import os, sys, onnx
from onnx import helper, TensorProto as T
THR = float(sys.argv[1]) if len(sys.argv) > 1 else -10.0
inits = [helper.make_tensor('thr', T.FLOAT, [1], [THR]), helper.make_tensor('scale', T.FLOAT, [1], [0.5])]
nodes = [
  helper.make_node('ReduceMax', ['audio_signal'], ['e'], axes=[1], keepdims=1),   # [N,1,T]: the loudest mel band
  helper.make_node('Transpose', ['e'], ['et'], perm=[0, 2, 1]),                  # [N,T,1]
  helper.make_node('Sub', ['et', 'et'], ['zero']),
  helper.make_node('Add', ['zero', 'thr'], ['blank']),
  helper.make_node('Concat', ['et', 'blank'], ['logits'], axis=2),              # [N,T,2]
  helper.make_node('Mul', ['logits', 'scale'], ['scaled']),
  helper.make_node('LogSoftmax', ['scaled'], ['logprobs'], axis=2),
  helper.make_node('Identity', ['length'], ['encoded_lengths']),
]
g = helper.make_graph(nodes, 'handmade_nemo_ctc',
  [helper.make_tensor_value_info('audio_signal', T.FLOAT, ['N', 80, 'T']), helper.make_tensor_value_info('length', T.INT64, ['N'])],
  [helper.make_tensor_value_info('logprobs', T.FLOAT, ['N', 'T', 2]), helper.make_tensor_value_info('encoded_lengths', T.INT64, ['N'])],
  initializer=inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='earshot-handmade'); m.ir_version = 8
for k, v in dict(vocab_size='2', subsampling_factor='1', normalize_type='', model_type='EncDecCTCModelBPE', comment='handmade energy CTC, no weights').items():
    e = m.metadata_props.add(); e.key = k; e.value = v
onnx.checker.check_model(m)
out = os.environ.get('OUT', '.')
onnx.save(m, out + '/model.onnx')
open(out + '/tokens.txt', 'w').write('▁speech 0\n<blk> 1\n')
print('ok')
